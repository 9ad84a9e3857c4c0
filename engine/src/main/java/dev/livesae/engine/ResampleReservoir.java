package dev.livesae.engine;

/**
 * A bounded uniform sample of the inputs trained on since the last resampling (reservoir sampling,
 * Vitter's algorithm R): the first {@code capacity} rows are kept, then row number t (1-based) replaces a
 * uniformly chosen slot with probability capacity / t. Rows are kept in the trainer's internal units.
 * Admission draws come from the resampler's {@link Rng}, whose state is saved with the trainer, and the rows
 * and the count are saved too, so a resumed trainer holds the same sample.
 */
final class ResampleReservoir {
  /** Rows held at most: the dictionary size, within [4096, 32768] (each dead latent can get its own row). */
  static int capacityFor(int n) {
    return Math.max(4096, Math.min(32768, n));
  }

  private final int d;
  private final int capacity;
  private final float[] rows;
  private int size;
  private long seen;

  ResampleReservoir(int d, int capacity) {
    this.d = d;
    this.capacity = capacity;
    this.rows = new float[capacity * d];
  }

  int size() {
    return size;
  }

  long seen() {
    return seen;
  }

  int capacity() {
    return capacity;
  }

  /** The held rows, row-major (size, d); only the first {@code size * d} values are meaningful. */
  float[] rows() {
    return rows;
  }

  /** Offers {@code count} rows of {@code x} (row-major, d wide). */
  void offer(float[] x, int count, Rng rng) {
    for (int r = 0; r < count; r++) {
      seen++;
      int slot;
      if (size < capacity) {
        slot = size++;
      } else {
        long j = (long) (rng.nextDouble() * seen);
        if (j >= capacity) {
          continue;
        }
        slot = (int) j;
      }
      System.arraycopy(x, r * d, rows, slot * d, d);
    }
  }

  /** Starts a new sample (after a resampling). */
  void clear() {
    size = 0;
    seen = 0;
  }

  /** Restores a saved sample: {@code saved} holds {@code size} rows. */
  void restore(float[] saved, int size, long seen) {
    if (size < 0 || size > capacity || saved.length != size * d || seen < size) {
      throw new IllegalArgumentException("reservoir of " + size + " rows (" + saved.length + " values, " + seen
          + " seen) does not fit capacity " + capacity + " x d " + d);
    }
    System.arraycopy(saved, 0, rows, 0, saved.length);
    this.size = size;
    this.seen = seen;
  }
}
