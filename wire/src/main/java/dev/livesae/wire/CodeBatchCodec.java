package dev.livesae.wire;

import java.util.List;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.types.pojo.Schema;

/** Arrow IPC encoding of {@link CodeBatch} (schema {@value WireSchema#CODE_SCHEMA}). */
public final class CodeBatchCodec extends ArrowCodec<CodeBatch> {

    public CodeBatchCodec(BufferAllocator parent) {
        this(parent, DecodeLimits.defaults());
    }

    public CodeBatchCodec(BufferAllocator parent, DecodeLimits limits) {
        super(parent, "code-batch-codec", limits);
    }

    private record Meta(CodeMeta meta) implements Header {}

    @Override
    Schema schemaOf(CodeBatch batch) {
        return WireSchema.code(batch.meta());
    }

    @Override
    int fill(VectorSchemaRoot root, CodeBatch b) {
        int rows = b.rows();
        Columns.writeLongs((BigIntVector) root.getVector(WireSchema.SEQUENCE_ID), b.sequenceIds());
        Columns.writeInts((IntVector) root.getVector(WireSchema.POSITION), b.positions());
        Columns.writeTokenIds((IntVector) root.getVector(WireSchema.TOKEN_ID), b.tokenIds(), rows);
        Columns.writeIntLists((FixedSizeListVector) root.getVector(WireSchema.LATENT_INDEX), b.latentIndices(), rows);
        Columns.writeFloatLists((FixedSizeListVector) root.getVector(WireSchema.LATENT_VALUE), b.latentValues(), rows);
        Columns.writeFloats((Float4Vector) root.getVector(WireSchema.RECON_ERROR), b.reconError());
        Columns.writeFloats((Float4Vector) root.getVector(WireSchema.CENTERED_SQ_NORM), b.centeredSqNorm());
        return rows;
    }

    @Override
    int estimatedBytes(CodeBatch b) {
        return (int) Math.min(Integer.MAX_VALUE - 2048, 8L * b.latentIndices().length + 24L * b.rows());
    }

    @Override
    Header header(Schema schema) {
        requireSchemaName(schema, WireSchema.CODE_SCHEMA);
        String saeId = text(schema, WireSchema.KEY_SAE_ID);
        long version = number(schema, WireSchema.KEY_DICTIONARY_VERSION, 0);
        String model = text(schema, WireSchema.KEY_MODEL);
        String hookpoint = text(schema, WireSchema.KEY_HOOKPOINT);
        int dIn = (int) number(schema, WireSchema.KEY_D_IN, 1);
        int dSae = (int) number(schema, WireSchema.KEY_D_SAE, 1);
        int k = (int) number(schema, WireSchema.KEY_K, 1);
        if (k > dSae) {
            throw new WireFormatException(RejectReason.BAD_METADATA, "k = " + k + " exceeds d_sae = " + dSae);
        }
        requireAtMost(WireSchema.KEY_D_IN, dIn, limits().maxDIn());
        requireAtMost(WireSchema.KEY_D_SAE, dSae, limits().maxDSae());
        requireAtMost(WireSchema.KEY_K, k, limits().maxK());
        requireColumn(schema, WireSchema.SEQUENCE_ID, WireSchema.INT64, false);
        requireColumn(schema, WireSchema.POSITION, WireSchema.INT32, false);
        requireColumn(schema, WireSchema.TOKEN_ID, WireSchema.INT32, true);
        int indexWidth = listColumn(schema, WireSchema.LATENT_INDEX, WireSchema.INT32);
        int valueWidth = listColumn(schema, WireSchema.LATENT_VALUE, WireSchema.FLOAT32);
        requireColumn(schema, WireSchema.RECON_ERROR, WireSchema.FLOAT32, false);
        requireColumn(schema, WireSchema.CENTERED_SQ_NORM, WireSchema.FLOAT32, false);
        requireWidth(WireSchema.LATENT_INDEX, indexWidth, k);
        requireWidth(WireSchema.LATENT_VALUE, valueWidth, k);
        return new Meta(new CodeMeta(saeId, version, model, hookpoint, dIn, dSae, k));
    }

    @Override
    CodeBatch read(VectorSchemaRoot root, Header header) {
        CodeMeta meta = ((Meta) header).meta();
        int rows = root.getRowCount();
        int n = Math.multiplyExact(rows, meta.k());
        BigIntVector seq = Columns.vector(root, WireSchema.SEQUENCE_ID, BigIntVector.class);
        IntVector pos = Columns.vector(root, WireSchema.POSITION, IntVector.class);
        IntVector tok = Columns.vector(root, WireSchema.TOKEN_ID, IntVector.class);
        FixedSizeListVector idxList = Columns.vector(root, WireSchema.LATENT_INDEX, FixedSizeListVector.class);
        IntVector idxItems = Columns.items(idxList, WireSchema.LATENT_INDEX, IntVector.class);
        FixedSizeListVector valList = Columns.vector(root, WireSchema.LATENT_VALUE, FixedSizeListVector.class);
        Float4Vector valItems = Columns.items(valList, WireSchema.LATENT_VALUE, Float4Vector.class);
        Float4Vector err = Columns.vector(root, WireSchema.RECON_ERROR, Float4Vector.class);
        Float4Vector norm = Columns.vector(root, WireSchema.CENTERED_SQ_NORM, Float4Vector.class);

        Columns.requireLength(seq, WireSchema.SEQUENCE_ID, rows);
        Columns.requireLength(pos, WireSchema.POSITION, rows);
        if (tok != null) {
            Columns.requireLength(tok, WireSchema.TOKEN_ID, rows);
        }
        Columns.requireLength(idxList, idxItems, WireSchema.LATENT_INDEX, rows);
        Columns.requireLength(valList, valItems, WireSchema.LATENT_VALUE, rows);
        Columns.requireLength(err, WireSchema.RECON_ERROR, rows);
        Columns.requireLength(norm, WireSchema.CENTERED_SQ_NORM, rows);

        Columns.requireNoNulls(seq, WireSchema.SEQUENCE_ID, rows);
        Columns.requireNoNulls(pos, WireSchema.POSITION, rows);
        Columns.requireNoNulls(idxList, WireSchema.LATENT_INDEX, rows);
        Columns.requireNoNulls(idxItems, WireSchema.LATENT_INDEX + " item", n);
        Columns.requireNoNulls(valList, WireSchema.LATENT_VALUE, rows);
        Columns.requireNoNulls(valItems, WireSchema.LATENT_VALUE + " item", n);
        Columns.requireNoNulls(err, WireSchema.RECON_ERROR, rows);
        Columns.requireNoNulls(norm, WireSchema.CENTERED_SQ_NORM, rows);

        float[] values = Columns.copyFloats(valItems, n);
        float[] reconError = Columns.copyFloats(err, rows);
        float[] centeredSqNorm = Columns.copyFloats(norm, rows);
        Columns.requireFinite(values, WireSchema.LATENT_VALUE, meta.k());
        Columns.requireFinite(reconError, WireSchema.RECON_ERROR, 1);
        Columns.requireFinite(centeredSqNorm, WireSchema.CENTERED_SQ_NORM, 1);

        int[] indices = Columns.copyInts(idxItems, n);
        for (int i = 0; i < indices.length; i++) {
            if (indices[i] < 0 || indices[i] >= meta.dSae()) {
                throw new WireFormatException(RejectReason.INDEX_OUT_OF_RANGE, "latent_index " + indices[i]
                        + " at row " + (i / meta.k()) + " is outside [0, d_sae=" + meta.dSae() + ")");
            }
        }
        return new CodeBatch(meta, Columns.copyLongs(seq, rows), Columns.copyInts(pos, rows),
                Columns.copyTokenIds(tok, rows), indices, values, reconError, centeredSqNorm);
    }

    @Override
    CodeBatch concat(Header header, List<CodeBatch> parts) {
        CodeMeta meta = ((Meta) header).meta();
        int k = meta.k();
        int rows = parts.stream().mapToInt(CodeBatch::rows).sum();
        boolean tokens = parts.stream().anyMatch(p -> p.tokenIds() != null);
        long[] seq = new long[rows];
        int[] pos = new int[rows];
        int[] tok = tokens ? new int[rows] : null;
        int[] idx = new int[Math.multiplyExact(rows, k)];
        float[] val = new float[idx.length];
        float[] err = new float[rows];
        float[] norm = new float[rows];
        int at = 0;
        for (CodeBatch p : parts) {
            int n = p.rows();
            System.arraycopy(p.sequenceIds(), 0, seq, at, n);
            System.arraycopy(p.positions(), 0, pos, at, n);
            if (tok != null) {
                for (int i = 0; i < n; i++) {
                    tok[at + i] = p.tokenId(i);
                }
            }
            System.arraycopy(p.latentIndices(), 0, idx, at * k, n * k);
            System.arraycopy(p.latentValues(), 0, val, at * k, n * k);
            System.arraycopy(p.reconError(), 0, err, at, n);
            System.arraycopy(p.centeredSqNorm(), 0, norm, at, n);
            at += n;
        }
        return new CodeBatch(meta, seq, pos, tok, idx, val, err, norm);
    }
}
