package dev.livesae.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every test closes its allocator in {@link #closeAllocator()}, so a leaked buffer fails the test. */
class ActivationBatchCodecTest {
    private BufferAllocator allocator;
    private ActivationBatchCodec codec;

    @BeforeEach
    void openAllocator() {
        allocator = new RootAllocator();
        codec = new ActivationBatchCodec(allocator);
    }

    @AfterEach
    void closeAllocator() {
        codec.close();
        allocator.close();
    }

    private static void assertSame(ActivationBatch actual, ActivationBatch expected) {
        assertThat(actual.meta()).isEqualTo(expected.meta());
        assertThat(actual.sequenceIds()).containsExactly(expected.sequenceIds());
        assertThat(actual.positions()).containsExactly(expected.positions());
        assertThat(actual.tokenIds()).containsExactly(expected.tokenIds());
        assertThat(actual.activations()).containsExactly(expected.activations());
    }

    @Test
    void roundTripsRowsTokensAndMetadata() {
        ActivationBatch batch = Batches.activations(37, 24, 1);
        assertSame(codec.decode(codec.encode(batch)), batch);
    }

    @Test
    void reusesItsWriteRootAcrossBatchesAndSchemas() {
        ActivationBatch a = Batches.activations(5, 8, 1);
        ActivationBatch b = Batches.activations(9, 12, 2);
        byte[] first = codec.encode(a);
        byte[] second = codec.encode(b);
        assertSame(codec.decode(codec.encode(a)), a);
        assertSame(codec.decode(first), a);
        assertSame(codec.decode(second), b);
    }

    @Test
    void roundTripsNullTokenIds() {
        ActivationBatch b = Batches.activations(4, 3, 1);
        ActivationBatch noTokens = new ActivationBatch(b.meta(), b.sequenceIds(), b.positions(), null, b.activations());
        ActivationBatch decoded = codec.decode(codec.encode(noTokens));
        assertThat(decoded.tokenIds()).isNull();
        assertThat(decoded.tokenId(2)).isEqualTo(ActivationBatch.NO_TOKEN);
    }

    @Test
    void roundTripsZeroRowBatch() {
        ActivationBatch empty = Batches.activations(0, 16, 1);
        ActivationBatch decoded = codec.decode(codec.encode(empty));
        assertThat(decoded.rows()).isZero();
        assertThat(decoded.meta()).isEqualTo(empty.meta());
    }

    @Test
    void decodesEmptyStreamAsZeroRows() {
        Schema schema = WireSchema.activation(new ActivationMeta("m", "h", 4));
        byte[] bytes = RawStreams.write(allocator, schema);
        assertThat(codec.decode(bytes).rows()).isZero();
    }

    @Test
    void rejectsEmptyBatchWhenConsumerRequiresRows() {
        try (ActivationBatchCodec strict = new ActivationBatchCodec(allocator, new DecodeLimits(10, false))) {
            byte[] bytes = codec.encode(Batches.activations(0, 4, 1));
            assertThatThrownBy(() -> strict.decode(bytes))
                    .isInstanceOfSatisfying(WireFormatException.class, e -> assertThat(e.reason()).isEqualTo(RejectReason.EMPTY_BATCH));
        }
    }

    @Test
    void rejectsOversizedBatch() {
        try (ActivationBatchCodec strict = new ActivationBatchCodec(allocator, new DecodeLimits(10, true))) {
            byte[] bytes = codec.encode(Batches.activations(11, 4, 1));
            assertThatThrownBy(() -> strict.decode(bytes))
                    .isInstanceOfSatisfying(WireFormatException.class, e -> {
                        assertThat(e.reason()).isEqualTo(RejectReason.OVERSIZED);
                        assertThat(e.detail()).contains("10");
                    });
        }
    }

    @Test
    void concatenatesSeveralRecordBatches() {
        ActivationBatch a = Batches.activations(3, 4, 1);
        ActivationBatch b = Batches.activations(2, 4, 2);
        byte[] bytes = RawStreams.write(allocator, WireSchema.activation(a.meta()),
                root -> fill(root, a), root -> fill(root, b));
        ActivationBatch decoded = codec.decode(bytes);
        assertThat(decoded.rows()).isEqualTo(5);
        assertThat(Arrays.copyOfRange(decoded.activations(), 12, 20)).containsExactly(b.activations());
        assertThat(decoded.tokenId(3)).isEqualTo(b.tokenId(0));
    }

    private static void fill(org.apache.arrow.vector.VectorSchemaRoot root, ActivationBatch b) {
        Columns.writeLongs((BigIntVector) root.getVector(WireSchema.SEQUENCE_ID), b.sequenceIds());
        Columns.writeInts((IntVector) root.getVector(WireSchema.POSITION), b.positions());
        Columns.writeTokenIds((IntVector) root.getVector(WireSchema.TOKEN_ID), b.tokenIds(), b.rows());
        Columns.writeFloatLists((FixedSizeListVector) root.getVector(WireSchema.ACTIVATION), b.activations(), b.rows());
        root.setRowCount(b.rows());
    }

    @Test
    void rejectsWidthThatDisagreesWithMetadata() {
        ActivationBatch b = Batches.activations(3, 4, 1);
        Schema lying = RawStreams.withMetadata(WireSchema.activation(b.meta()), WireSchema.KEY_D_IN, "5");
        byte[] bytes = RawStreams.write(allocator, lying, root -> fill(root, b));
        assertRejected(bytes, RejectReason.WRONG_WIDTH, "width 4");
    }

    @Test
    void rejectsWidthTheConsumerDoesNotExpect() {
        byte[] bytes = codec.encode(Batches.activations(3, 4, 1));
        try (ActivationBatchCodec strict = new ActivationBatchCodec(allocator, new DecodeLimits(100, true, 768))) {
            assertThatThrownBy(() -> strict.decode(bytes))
                    .isInstanceOfSatisfying(WireFormatException.class, e -> {
                        assertThat(e.reason()).isEqualTo(RejectReason.WRONG_WIDTH);
                        assertThat(e.detail()).contains("768").contains("4");
                    });
        }
    }

    @Test
    void rejectsTruncatedBytes() {
        byte[] bytes = codec.encode(Batches.activations(50, 16, 1));
        for (int cut : new int[] {3, 10, bytes.length / 2, bytes.length - 9}) {
            assertRejected(Arrays.copyOf(bytes, cut), RejectReason.UNDECODABLE, "Arrow");
        }
    }

    @Test
    void rejectsGarbageBytes() {
        java.util.Random r = new java.util.Random(7);
        for (int trial = 0; trial < 50; trial++) {
            byte[] junk = new byte[1 + r.nextInt(4000)];
            r.nextBytes(junk);
            assertThatThrownBy(() -> codec.decode(junk)).isInstanceOf(WireFormatException.class);
        }
        assertRejected("hello, not arrow".getBytes(), RejectReason.UNDECODABLE, "bytes");
        assertRejected(new byte[0], RejectReason.UNDECODABLE, "empty");
        assertRejected(null, RejectReason.UNDECODABLE, "null");
    }

    @Test
    void rejectsHugeLengthPrefixWithoutAllocatingIt() {
        // continuation marker then a metadata length of ~2 GiB
        byte[] bytes = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xF0, (byte) 0xFF, (byte) 0xFF, 0x7F, 1, 2, 3};
        assertRejected(bytes, RejectReason.UNDECODABLE, "");
    }

    @Test
    void rejectsNaNAndInfinityNamingTheRow() {
        ActivationBatch b = Batches.activations(6, 4, 1);
        b.activations()[4 * 2 + 1] = Float.NaN;
        assertRejected(codec.encode(b), RejectReason.NON_FINITE, "row 2, item 1");
        b.activations()[4 * 2 + 1] = 0;
        b.activations()[4 * 5] = Float.NEGATIVE_INFINITY;
        assertRejected(codec.encode(b), RejectReason.NON_FINITE, "row 5");
    }

    @Test
    void rejectsOtherSchemasAndVersions() {
        ActivationBatch b = Batches.activations(2, 4, 1);
        Schema base = WireSchema.activation(b.meta());
        assertRejected(RawStreams.write(allocator, RawStreams.withMetadata(base, WireSchema.KEY_SCHEMA, WireSchema.CODE_SCHEMA),
                root -> fill(root, b)), RejectReason.WRONG_SCHEMA, "expected 'livesae.activation_batch'");
        assertRejected(RawStreams.write(allocator, RawStreams.withMetadata(base, WireSchema.KEY_SCHEMA, null),
                root -> fill(root, b)), RejectReason.WRONG_SCHEMA, "no livesae.schema");
        assertRejected(RawStreams.write(allocator, RawStreams.withMetadata(base, WireSchema.KEY_VERSION, "2"),
                root -> fill(root, b)), RejectReason.UNSUPPORTED_VERSION, "'2'");
        assertRejected(RawStreams.write(allocator, RawStreams.withMetadata(base, WireSchema.KEY_HOOKPOINT, null),
                root -> fill(root, b)), RejectReason.BAD_METADATA, WireSchema.KEY_HOOKPOINT);
        assertRejected(RawStreams.write(allocator, RawStreams.withMetadata(base, WireSchema.KEY_D_IN, "four"),
                root -> fill(root, b)), RejectReason.BAD_METADATA, "'four'");
    }

    @Test
    void rejectsMissingAndMistypedColumns() {
        ActivationBatch b = Batches.activations(2, 4, 1);
        Schema base = WireSchema.activation(b.meta());
        List<Field> noPosition = base.getFields().stream().filter(f -> !f.getName().equals(WireSchema.POSITION)).toList();
        byte[] missing = RawStreams.write(allocator, RawStreams.withFields(base, noPosition), root -> {
            Columns.writeLongs((BigIntVector) root.getVector(WireSchema.SEQUENCE_ID), b.sequenceIds());
            Columns.writeTokenIds((IntVector) root.getVector(WireSchema.TOKEN_ID), b.tokenIds(), 2);
            Columns.writeFloatLists((FixedSizeListVector) root.getVector(WireSchema.ACTIVATION), b.activations(), 2);
            root.setRowCount(2);
        });
        assertRejected(missing, RejectReason.WRONG_SCHEMA, "missing column 'position'");

        List<Field> floatPositions = base.getFields().stream().map(f -> f.getName().equals(WireSchema.POSITION)
                ? new Field(WireSchema.POSITION, FieldType.notNullable(WireSchema.FLOAT32), null) : f).toList();
        byte[] mistyped = RawStreams.write(allocator, RawStreams.withFields(base, floatPositions), root -> {
            Columns.writeLongs((BigIntVector) root.getVector(WireSchema.SEQUENCE_ID), b.sequenceIds());
            Columns.writeFloats((Float4Vector) root.getVector(WireSchema.POSITION), new float[] {0, 1});
            Columns.writeTokenIds((IntVector) root.getVector(WireSchema.TOKEN_ID), b.tokenIds(), 2);
            Columns.writeFloatLists((FixedSizeListVector) root.getVector(WireSchema.ACTIVATION), b.activations(), 2);
            root.setRowCount(2);
        });
        assertRejected(mistyped, RejectReason.WRONG_SCHEMA, "column 'position'");
    }

    @Test
    void rejectsNullInRequiredColumn() {
        ActivationBatch b = Batches.activations(3, 4, 1);
        Schema base = WireSchema.activation(b.meta());
        List<Field> nullableSeq = base.getFields().stream().map(f -> f.getName().equals(WireSchema.SEQUENCE_ID)
                ? new Field(WireSchema.SEQUENCE_ID, FieldType.nullable(new ArrowType.Int(64, true)), null) : f).toList();
        byte[] bytes = RawStreams.write(allocator, RawStreams.withFields(base, nullableSeq), root -> {
            fill(root, b);
            ((BigIntVector) root.getVector(WireSchema.SEQUENCE_ID)).setNull(1);
        });
        assertRejected(bytes, RejectReason.NULL_VALUE, "sequence_id");
    }

    @Test
    void recordRejectsInconsistentLengthsNamingTheField() {
        ActivationMeta meta = new ActivationMeta("m", "h", 4);
        assertThatThrownBy(() -> new ActivationBatch(meta, new long[2], new int[2], null, new float[7]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("activations").hasMessageContaining("8");
        assertThatThrownBy(() -> new ActivationBatch(meta, new long[2], new int[3], null, new float[8]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positions");
        assertThatThrownBy(() -> new ActivationMeta("m", " ", 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("hookpoint");
    }

    private void assertRejected(byte[] bytes, RejectReason reason, String detailPart) {
        assertThatThrownBy(() -> codec.decode(bytes))
                .isInstanceOfSatisfying(WireFormatException.class, e -> {
                    assertThat(e.reason()).isEqualTo(reason);
                    assertThat(e.detail()).contains(detailPart);
                });
    }
}
