package dev.livesae.trainer;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * A fixed-capacity block of activation rows with their provenance: {@code x} is row-major
 * {@code [capacity, dIn]}, {@code sequenceIds[r]}/{@code positions[r]} name the token each row came from.
 * Used both as the shuffle buffer's slots and as the minibatch being assembled. Not thread-safe.
 */
public final class RowBlock {
    private static final int MAGIC = 0x4C53_5242; // "LSRB"

    final int dIn;
    final float[] x;
    final long[] sequenceIds;
    final int[] positions;
    int size;

    public RowBlock(int dIn, int capacity) {
        if (dIn <= 0) {
            throw new IllegalArgumentException("dIn must be > 0 (got " + dIn + ")");
        }
        if (capacity < 0 || (long) capacity * dIn > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("capacity must be in [0, " + (Integer.MAX_VALUE - 16) / dIn
                    + "] for dIn " + dIn + " (got " + capacity + ")");
        }
        this.dIn = dIn;
        this.x = new float[capacity * dIn];
        this.sequenceIds = new long[capacity];
        this.positions = new int[capacity];
    }

    public int dIn() { return dIn; }
    public int capacity() { return sequenceIds.length; }
    public int size() { return size; }
    public boolean isFull() { return size == sequenceIds.length; }

    /** Row-major {@code [capacity, dIn]}; only the first {@code size()} rows are meaningful. */
    public float[] data() { return x; }

    public long sequenceId(int r) { return sequenceIds[r]; }
    public int position(int r) { return positions[r]; }

    /** Appends one row copied from {@code src[srcOffset .. srcOffset + dIn)}. */
    public void add(float[] src, int srcOffset, long sequenceId, int position) {
        if (size == sequenceIds.length) {
            throw new IllegalStateException("row block full (" + size + " rows)");
        }
        set(size++, src, srcOffset, sequenceId, position);
    }

    void set(int r, float[] src, int srcOffset, long sequenceId, int position) {
        System.arraycopy(src, srcOffset, x, r * dIn, dIn);
        sequenceIds[r] = sequenceId;
        positions[r] = position;
    }

    /** Moves row {@code from} into slot {@code to} (overwrites it). */
    void move(int from, int to) {
        if (from != to) {
            System.arraycopy(x, from * dIn, x, to * dIn, dIn);
            sequenceIds[to] = sequenceIds[from];
            positions[to] = positions[from];
        }
    }

    public void clear() { size = 0; }

    /** Writes dIn, capacity, size and the first {@code size} rows. */
    public void writeTo(DataOutputStream out) throws IOException {
        out.writeInt(MAGIC);
        out.writeInt(dIn);
        out.writeInt(capacity());
        out.writeInt(size);
        for (int r = 0; r < size; r++) {
            out.writeLong(sequenceIds[r]);
            out.writeInt(positions[r]);
        }
        byte[] buf = new byte[Math.max(4, Math.min(1 << 16, size * dIn * 4))];
        int n = size * dIn;
        int i = 0;
        while (i < n) {
            int chunk = Math.min(n - i, buf.length / 4);
            for (int j = 0; j < chunk; j++) {
                int bits = Float.floatToRawIntBits(x[i + j]);
                buf[4 * j] = (byte) (bits >>> 24);
                buf[4 * j + 1] = (byte) (bits >>> 16);
                buf[4 * j + 2] = (byte) (bits >>> 8);
                buf[4 * j + 3] = (byte) bits;
            }
            out.write(buf, 0, chunk * 4);
            i += chunk;
        }
    }

    /** Reads a block written by {@link #writeTo}; the capacity stored in the stream is kept. */
    public static RowBlock readFrom(DataInputStream in) throws IOException {
        int magic = in.readInt();
        if (magic != MAGIC) {
            throw new IOException("not a row block (magic " + Integer.toHexString(magic) + ")");
        }
        int dIn = in.readInt();
        int capacity = in.readInt();
        int size = in.readInt();
        if (dIn <= 0 || capacity < 0 || size < 0 || size > capacity) {
            throw new IOException("corrupt row block header dIn=" + dIn + " capacity=" + capacity + " size=" + size);
        }
        RowBlock b = new RowBlock(dIn, capacity);
        for (int r = 0; r < size; r++) {
            b.sequenceIds[r] = in.readLong();
            b.positions[r] = in.readInt();
        }
        byte[] buf = new byte[Math.max(4, Math.min(1 << 16, size * dIn * 4))];
        int n = size * dIn;
        int i = 0;
        while (i < n) {
            int chunk = Math.min(n - i, buf.length / 4);
            in.readFully(buf, 0, chunk * 4);
            for (int j = 0; j < chunk; j++) {
                b.x[i + j] = Float.intBitsToFloat(((buf[4 * j] & 0xFF) << 24) | ((buf[4 * j + 1] & 0xFF) << 16)
                        | ((buf[4 * j + 2] & 0xFF) << 8) | (buf[4 * j + 3] & 0xFF));
            }
            i += chunk;
        }
        b.size = size;
        return b;
    }
}
