package dev.livesae.wire;

import java.util.List;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.types.pojo.Schema;

/** Arrow IPC encoding of {@link ActivationBatch} (schema {@value WireSchema#ACTIVATION_SCHEMA}). */
public final class ActivationBatchCodec extends ArrowCodec<ActivationBatch> {

    public ActivationBatchCodec(BufferAllocator parent) {
        this(parent, DecodeLimits.defaults());
    }

    public ActivationBatchCodec(BufferAllocator parent, DecodeLimits limits) {
        super(parent, "activation-batch-codec", limits);
    }

    private record Meta(ActivationMeta meta) implements Header {}

    @Override
    Schema schemaOf(ActivationBatch batch) {
        return WireSchema.activation(batch.meta());
    }

    @Override
    int fill(VectorSchemaRoot root, ActivationBatch b) {
        int rows = b.rows();
        Columns.writeLongs((BigIntVector) root.getVector(WireSchema.SEQUENCE_ID), b.sequenceIds());
        Columns.writeInts((IntVector) root.getVector(WireSchema.POSITION), b.positions());
        Columns.writeTokenIds((IntVector) root.getVector(WireSchema.TOKEN_ID), b.tokenIds(), rows);
        Columns.writeFloatLists((FixedSizeListVector) root.getVector(WireSchema.ACTIVATION), b.activations(), rows);
        return rows;
    }

    @Override
    int estimatedBytes(ActivationBatch b) {
        return (int) Math.min(Integer.MAX_VALUE - 2048, 4L * b.activations().length + 16L * b.rows());
    }

    @Override
    Header header(Schema schema) {
        requireSchemaName(schema, WireSchema.ACTIVATION_SCHEMA);
        String model = text(schema, WireSchema.KEY_MODEL);
        String hookpoint = text(schema, WireSchema.KEY_HOOKPOINT);
        int dIn = (int) number(schema, WireSchema.KEY_D_IN, 1);
        requireAtMost(WireSchema.KEY_D_IN, dIn, limits().maxDIn());
        int expected = limits().expectedDIn();
        if (expected != 0 && expected != dIn) {
            throw new WireFormatException(RejectReason.WRONG_WIDTH,
                    "activation width d_in is " + dIn + ", this consumer expects " + expected);
        }
        requireColumn(schema, WireSchema.SEQUENCE_ID, WireSchema.INT64, false);
        requireColumn(schema, WireSchema.POSITION, WireSchema.INT32, false);
        requireColumn(schema, WireSchema.TOKEN_ID, WireSchema.INT32, true);
        int width = listColumn(schema, WireSchema.ACTIVATION, WireSchema.FLOAT32);
        requireWidth(WireSchema.ACTIVATION, width, dIn);
        return new Meta(new ActivationMeta(model, hookpoint, dIn));
    }

    @Override
    ActivationBatch read(VectorSchemaRoot root, Header header) {
        ActivationMeta meta = ((Meta) header).meta();
        int rows = root.getRowCount();
        BigIntVector seq = Columns.vector(root, WireSchema.SEQUENCE_ID, BigIntVector.class);
        IntVector pos = Columns.vector(root, WireSchema.POSITION, IntVector.class);
        IntVector tok = Columns.vector(root, WireSchema.TOKEN_ID, IntVector.class);
        FixedSizeListVector act = Columns.vector(root, WireSchema.ACTIVATION, FixedSizeListVector.class);
        Float4Vector items = Columns.items(act, WireSchema.ACTIVATION, Float4Vector.class);
        int n = Math.multiplyExact(rows, meta.dIn());

        Columns.requireLength(seq, WireSchema.SEQUENCE_ID, rows);
        Columns.requireLength(pos, WireSchema.POSITION, rows);
        if (tok != null) {
            Columns.requireLength(tok, WireSchema.TOKEN_ID, rows);
        }
        Columns.requireLength(act, items, WireSchema.ACTIVATION, rows);

        Columns.requireNoNulls(seq, WireSchema.SEQUENCE_ID, rows);
        Columns.requireNoNulls(pos, WireSchema.POSITION, rows);
        Columns.requireNoNulls(act, WireSchema.ACTIVATION, rows);
        Columns.requireNoNulls(items, WireSchema.ACTIVATION + " item", n);

        float[] activations = Columns.copyFloats(items, n);
        Columns.requireFinite(activations, WireSchema.ACTIVATION, meta.dIn());
        return new ActivationBatch(meta, Columns.copyLongs(seq, rows), Columns.copyInts(pos, rows),
                Columns.copyTokenIds(tok, rows), activations);
    }

    @Override
    ActivationBatch concat(Header header, List<ActivationBatch> parts) {
        ActivationMeta meta = ((Meta) header).meta();
        int rows = parts.stream().mapToInt(ActivationBatch::rows).sum();
        boolean tokens = parts.stream().anyMatch(p -> p.tokenIds() != null);
        long[] seq = new long[rows];
        int[] pos = new int[rows];
        int[] tok = tokens ? new int[rows] : null;
        float[] act = new float[Math.multiplyExact(rows, meta.dIn())];
        int at = 0;
        for (ActivationBatch p : parts) {
            int n = p.rows();
            System.arraycopy(p.sequenceIds(), 0, seq, at, n);
            System.arraycopy(p.positions(), 0, pos, at, n);
            if (tok != null) {
                for (int i = 0; i < n; i++) {
                    tok[at + i] = p.tokenId(i);
                }
            }
            System.arraycopy(p.activations(), 0, act, at * meta.dIn(), n * meta.dIn());
            at += n;
        }
        return new ActivationBatch(meta, seq, pos, tok, act);
    }
}
