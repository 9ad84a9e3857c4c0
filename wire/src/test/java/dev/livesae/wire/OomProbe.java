package dev.livesae.wire;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.types.pojo.Schema;

/** Run in a small-heap JVM by {@link DecodeCapsTest}: decodes a record too large for the heap, three times, then a small one. */
public final class OomProbe {
    private OomProbe() {}

    public static void main(String[] args) {
        int rows = 10_000;
        int dIn = 1_024;
        try (BufferAllocator allocator = new RootAllocator();
             ActivationBatchCodec codec = new ActivationBatchCodec(allocator)) {
            Schema schema = WireSchema.activation(new ActivationMeta("m", "h", dIn));
            byte[][] buffers = {new byte[0], LyingStreams.zstdZeros(8L * rows), new byte[0], LyingStreams.zstdZeros(4L * rows),
                    new byte[0], LyingStreams.zstdZeros(4L * rows), new byte[0], new byte[0],
                    LyingStreams.zstdZeros(4L * rows * dIn)};
            byte[] big = LyingStreams.stream(allocator, schema, new LyingStreams.Batch(rows,
                    new long[] {rows, rows, rows, rows, (long) rows * dIn}, buffers, LyingStreams.ZSTD));
            for (int attempt = 0; attempt < 3; attempt++) {
                try {
                    System.out.println("attempt " + attempt + ": decoded " + codec.decode(big).rows());
                } catch (WireFormatException e) {
                    System.out.println("attempt " + attempt + ": " + e.reason() + " " + e.detail());
                }
            }
            System.out.println("small record: " + codec.decode(codec.encode(Batches.activations(2, 8, 1))).rows() + " rows");
        }
    }
}
