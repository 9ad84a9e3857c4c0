package dev.livesae.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every size a record states is checked before anything is sized by it; the allocator's peak proves it. */
class DecodeCapsTest {
    private static final long MIB = 1 << 20;
    private BufferAllocator allocator;
    private ActivationBatchCodec activations;
    private CodeBatchCodec codes;

    @BeforeEach
    void open() {
        allocator = new RootAllocator();
        activations = new ActivationBatchCodec(allocator);
        codes = new CodeBatchCodec(allocator);
    }

    @AfterEach
    void close() {
        activations.close();
        codes.close();
        allocator.close();
    }

    private static void assertRejected(ArrowCodec<?> codec, byte[] bytes, RejectReason reason, String detailPart) {
        assertThatThrownBy(() -> codec.decode(bytes)).isInstanceOfSatisfying(WireFormatException.class, e -> {
            assertThat(e.reason()).isEqualTo(reason);
            assertThat(e.detail()).contains(detailPart);
        });
    }

    @Test
    void rejectsRecordOverTheByteCapBeforeReadingIt() {
        try (ActivationBatchCodec capped = new ActivationBatchCodec(allocator, DecodeLimits.defaults().withMaxRecordBytes(4096))) {
            byte[] valid = activations.encode(Batches.activations(40, 16, 1));
            assertThat(valid.length).isGreaterThan(4096);
            assertRejected(capped, valid, RejectReason.RECORD_TOO_LARGE, "cap is 4096");
            byte[] garbage = new byte[5000];
            Arrays.fill(garbage, (byte) 0xFF);
            assertRejected(capped, garbage, RejectReason.RECORD_TOO_LARGE, "5000 bytes");
            assertThat(capped.decode(activations.encode(Batches.activations(4, 16, 1))).rows()).isEqualTo(4);
        }
    }

    @Test
    void rejectsABatchClaimingTwoBillionRowsFromItsHeaderWithoutAllocating() {
        Schema schema = WireSchema.activation(new ActivationMeta("m", "h", 4));
        byte[] bytes = LyingStreams.stream(allocator, schema, LyingStreams.activations(2, 4, Integer.MAX_VALUE));
        long before = allocator.getPeakMemoryAllocation();
        assertRejected(activations, bytes, RejectReason.OVERSIZED, "2147483647 rows");
        assertThat(allocator.getPeakMemoryAllocation()).isLessThan(before + MIB);
    }

    @Test
    void rejectsFieldNodesClaimingMoreThanTheBuffersHold() {
        Schema schema = WireSchema.activation(new ActivationMeta("m", "h", 4));
        // the header claims 1,000 rows (under the row cap) but the buffers hold 2
        byte[] bytes = LyingStreams.stream(allocator, schema, LyingStreams.activations(2, 4, 1000));
        assertRejected(activations, bytes, RejectReason.LENGTH_MISMATCH, "data buffer");
    }

    @Test
    void rejectsBuffersOutsideTheRecordAsUndecodable() {
        byte[] valid = activations.encode(Batches.activations(8, 4, 1));
        assertRejected(activations, Arrays.copyOf(valid, valid.length - 20), RejectReason.UNDECODABLE, "remain");
    }

    @Test
    void rejectsDimensionsAboveTheCapsFromMetadata() {
        CodeBatch b = Batches.codes(2, 64, 4, 1);
        Schema base = WireSchema.code(b.meta());
        byte[] bigDSae = RawStreams.write(allocator,
                RawStreams.withMetadata(base, WireSchema.KEY_D_SAE, Integer.toString(Integer.MAX_VALUE)));
        assertRejected(codes, bigDSae, RejectReason.DIMENSION_TOO_LARGE, "livesae.d_sae = 2147483647");
        byte[] bigK = RawStreams.write(allocator, RawStreams.withMetadata(RawStreams.withMetadata(base,
                WireSchema.KEY_D_SAE, "100000"), WireSchema.KEY_K, "5000"));
        assertRejected(codes, bigK, RejectReason.DIMENSION_TOO_LARGE, "livesae.k = 5000");
        byte[] bigDIn = RawStreams.write(allocator, RawStreams.withMetadata(
                WireSchema.activation(new ActivationMeta("m", "h", 4)), WireSchema.KEY_D_IN, "70000"));
        assertRejected(activations, bigDIn, RejectReason.DIMENSION_TOO_LARGE, "livesae.d_in = 70000");
        try (CodeBatchCodec small = new CodeBatchCodec(allocator, DecodeLimits.defaults().withMaxDimensions(16, 32, 4))) {
            assertRejected(small, codes.encode(b), RejectReason.DIMENSION_TOO_LARGE, "livesae.d_sae = 64");
        }
    }

    @Test
    void refusesAZstdBodyThatWouldExpandPastTheCapBeforeExpandingIt() {
        int rows = 65_536;
        int dIn = 1_280; // 335 MB of float32 once expanded, over the 256 MiB default cap
        Schema schema = WireSchema.activation(new ActivationMeta("m", "h", dIn));
        byte[][] buffers = {new byte[0], LyingStreams.zstdZeros(8L * rows), new byte[0], LyingStreams.zstdZeros(4L * rows),
                new byte[0], LyingStreams.zstdZeros(4L * rows), new byte[0], new byte[0],
                LyingStreams.zstdZeros(4L * rows * dIn)};
        byte[] bytes = LyingStreams.stream(allocator, schema, new LyingStreams.Batch(rows,
                new long[] {rows, rows, rows, rows, (long) rows * dIn}, buffers, LyingStreams.ZSTD));
        assertThat(bytes.length).isLessThan(1 << 20);
        long before = allocator.getPeakMemoryAllocation();
        assertRejected(activations, bytes, RejectReason.DECODED_TOO_LARGE, "the cap is " + DecodeLimits.DEFAULT_MAX_RECORD_BYTES);
        assertThat(allocator.getPeakMemoryAllocation()).isLessThan(before + 4 * MIB);
    }

    @Test
    void decodesCompressedBodiesWithinTheCap() {
        int rows = 3;
        int dIn = 4;
        Schema schema = WireSchema.activation(new ActivationMeta("m", "h", dIn));
        for (byte codec : new byte[] {LyingStreams.ZSTD, LyingStreams.LZ4}) {
            byte[][] buffers = {new byte[0], zeros(codec, 8L * rows), new byte[0], zeros(codec, 4L * rows), new byte[0],
                    zeros(codec, 4L * rows), new byte[0], new byte[0], zeros(codec, 4L * rows * dIn)};
            byte[] bytes = LyingStreams.stream(allocator, schema, new LyingStreams.Batch(rows,
                    new long[] {rows, rows, rows, rows, (long) rows * dIn}, buffers, codec));
            ActivationBatch b = activations.decode(bytes);
            assertThat(b.rows()).isEqualTo(rows);
            assertThat(b.activations()).containsOnly(0f).hasSize(rows * dIn);
        }
    }

    private static byte[] zeros(byte codec, long n) {
        return codec == LyingStreams.ZSTD ? LyingStreams.zstdZeros(n) : LyingStreams.lz4Zeros(n, n);
    }

    @Test
    void stopsAnLz4FrameThatExpandsPastTheLengthItDeclares() {
        int rows = 16;
        int dIn = 4;
        Schema schema = WireSchema.activation(new ActivationMeta("m", "h", dIn));
        // declares 256 bytes, holds 512 MiB of zeros: Arrow's own LZ4 codec would expand it all onto the heap
        byte[][] buffers = {new byte[0], LyingStreams.zstdZeros(8L * rows), new byte[0], LyingStreams.zstdZeros(4L * rows),
                new byte[0], LyingStreams.zstdZeros(4L * rows), new byte[0], new byte[0],
                LyingStreams.lz4Zeros(4L * rows * dIn, 512 * MIB)};
        byte[] bytes = LyingStreams.stream(allocator, schema, new LyingStreams.Batch(rows,
                new long[] {rows, rows, rows, rows, (long) rows * dIn}, buffers, LyingStreams.ZSTD));
        // the codec byte says ZSTD for the batch; write the same with LZ4 as the batch codec
        byte[] lz4 = LyingStreams.stream(allocator, schema, new LyingStreams.Batch(rows,
                new long[] {rows, rows, rows, rows, (long) rows * dIn}, new byte[][] {new byte[0],
                LyingStreams.lz4Zeros(8L * rows, 8L * rows), new byte[0], LyingStreams.lz4Zeros(4L * rows, 4L * rows),
                new byte[0], LyingStreams.lz4Zeros(4L * rows, 4L * rows), new byte[0], new byte[0], buffers[8]},
                LyingStreams.LZ4));
        assertThat(bytes).isNotEmpty();
        Runtime rt = Runtime.getRuntime();
        assertRejected(activations, lz4, RejectReason.DECODED_TOO_LARGE, "expands past the 256 uncompressed bytes");
        assertThat(rt.totalMemory() - rt.freeMemory()).isLessThan(rt.maxMemory());
    }

    @Test
    void deserializerConfigSetsEveryCap() {
        DecodeLimits l = DeserializerConfig.limits(java.util.Map.of(DeserializerConfig.MAX_RECORD_BYTES, "4096",
                DeserializerConfig.MAX_D_IN, 32, DeserializerConfig.MAX_D_SAE, "512", DeserializerConfig.MAX_K, "8",
                DeserializerConfig.MAX_ROWS, "10", DeserializerConfig.ALLOW_EMPTY, "false"));
        assertThat(l).isEqualTo(new DecodeLimits(10, false, 0, 4096, 32, 512, 8));
        assertThatThrownBy(() -> DeserializerConfig.limits(java.util.Map.of(DeserializerConfig.MAX_D_SAE, "lots")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(DeserializerConfig.MAX_D_SAE);
        assertThatThrownBy(() -> DeserializerConfig.limits(java.util.Map.of(DeserializerConfig.MAX_RECORD_BYTES, "10")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxRecordBytes");
    }

    @Test
    void rejectsAnOverlongMetadataValue() {
        byte[] bytes = RawStreams.write(allocator, RawStreams.withMetadata(
                WireSchema.activation(new ActivationMeta("m", "h", 4)), WireSchema.KEY_MODEL, "m".repeat(5000)));
        assertRejected(activations, bytes, RejectReason.BAD_METADATA, "5000 characters");
    }

    /**
     * In a JVM with a 32 MB heap, a valid ZSTD record whose 41 MB of activations cannot be copied to the heap is
     * rejected OUT_OF_MEMORY three times in a row, and the next small record still decodes.
     */
    @Test
    void anOutOfMemoryErrorWhileDecodingRejectsThatRecordAndTheJvmGoesOn() throws Exception {
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new ArrayList<>(List.of(javaBin.toString(), "-Xmx32m"));
        // the same --add-opens Arrow needs here
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-opens") || a.startsWith("--add-exports")).forEach(cmd::add);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), OomProbe.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            out = r.lines().collect(Collectors.joining("\n"));
        }
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(out).contains("attempt 0: OUT_OF_MEMORY", "attempt 1: OUT_OF_MEMORY", "attempt 2: OUT_OF_MEMORY",
                "small record: 2 rows");
        assertThat(p.exitValue()).as(out).isZero();
    }
}
