package dev.livesae.engine;

/** SplitMix64: a tiny seeded generator whose whole state is one long (saved in the trainer state). */
final class Rng {
  private long state;

  Rng(long seed) {
    this.state = seed;
  }

  long state() {
    return state;
  }

  void setState(long s) {
    this.state = s;
  }

  long nextLong() {
    long z = (state += 0x9E3779B97F4A7C15L);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Uniform in [0, 1). */
  double nextDouble() {
    return (nextLong() >>> 11) * 0x1.0p-53;
  }

  /** Standard normal (Box-Muller, one value per call, no cached state). */
  double nextGaussian() {
    double u1 = 1.0 - nextDouble();
    double u2 = nextDouble();
    return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
  }
}
