package dev.livesae.trainer;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * Mixes rows across batches before training: a buffer of {@code capacity} slots filled in arrival order;
 * once full, every new row evicts a uniformly chosen slot (the evicted row goes to the sink) and takes its
 * place. With capacity 0 rows pass straight through. The emitted order depends only on the sequence of
 * offered rows and the seed, never on how they were grouped into polls, so a resumed buffer (slots + RNG
 * state from {@link #writeTo}) continues exactly where it stopped. Not thread-safe.
 */
public final class ShuffleBuffer {
    /** Receives an emitted row: {@code src[srcOffset .. srcOffset + dIn)}. */
    @FunctionalInterface
    public interface RowSink {
        void accept(float[] src, int srcOffset, long sequenceId, int position);
    }

    private final RowBlock slots;
    private final SplitMix64 rng;
    private final float[] evicted;

    public ShuffleBuffer(int dIn, int capacity, long seed) {
        this(new RowBlock(dIn, capacity), new SplitMix64(seed));
    }

    private ShuffleBuffer(RowBlock slots, SplitMix64 rng) {
        this.slots = slots;
        this.rng = rng;
        this.evicted = new float[slots.dIn];
    }

    public int dIn() { return slots.dIn; }
    public int capacity() { return slots.capacity(); }
    public int size() { return slots.size; }

    /** Offers one row; emits zero or one row (the evicted one, or the row itself when capacity is 0). */
    public void offer(float[] src, int srcOffset, long sequenceId, int position, RowSink sink) {
        if (slots.capacity() == 0) {
            sink.accept(src, srcOffset, sequenceId, position);
            return;
        }
        if (!slots.isFull()) {
            slots.add(src, srcOffset, sequenceId, position);
            return;
        }
        int j = rng.nextInt(slots.capacity());
        int d = slots.dIn;
        System.arraycopy(slots.x, j * d, evicted, 0, d);
        long evSeq = slots.sequenceIds[j];
        int evPos = slots.positions[j];
        slots.set(j, src, srcOffset, sequenceId, position);
        sink.accept(evicted, 0, evSeq, evPos);
    }

    /** Emits every buffered row in a random order and leaves the buffer empty. */
    public void drain(RowSink sink) {
        int d = slots.dIn;
        while (slots.size > 0) {
            int j = rng.nextInt(slots.size);
            int last = slots.size - 1;
            System.arraycopy(slots.x, j * d, evicted, 0, d);
            long evSeq = slots.sequenceIds[j];
            int evPos = slots.positions[j];
            slots.move(last, j);
            slots.size = last;
            sink.accept(evicted, 0, evSeq, evPos);
        }
    }

    /** Visits buffered rows (slot order) without removing them, e.g. to account for them. */
    public void forEachBuffered(RowSink sink) {
        for (int r = 0; r < slots.size; r++) {
            sink.accept(slots.x, r * slots.dIn, slots.sequenceIds[r], slots.positions[r]);
        }
    }

    /** Writes the RNG state and the buffered rows. */
    public void writeTo(DataOutputStream out) throws IOException {
        out.writeLong(rng.state());
        slots.writeTo(out);
    }

    public static ShuffleBuffer readFrom(DataInputStream in) throws IOException {
        long state = in.readLong();
        RowBlock slots = RowBlock.readFrom(in);
        return new ShuffleBuffer(slots, new SplitMix64(state));
    }
}
