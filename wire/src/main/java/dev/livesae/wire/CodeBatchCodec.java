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
        return new Meta(new CodeMeta(
                text(schema, WireSchema.KEY_SAE_ID),
                number(schema, WireSchema.KEY_DICTIONARY_VERSION, 0),
                text(schema, WireSchema.KEY_MODEL),
                text(schema, WireSchema.KEY_HOOKPOINT),
                (int) number(schema, WireSchema.KEY_D_IN, 1),
                (int) number(schema, WireSchema.KEY_D_SAE, 1),
                checkedK(schema)));
    }

    private static int checkedK(Schema schema) {
        int k = (int) number(schema, WireSchema.KEY_K, 1);
        long dSae = number(schema, WireSchema.KEY_D_SAE, 1);
        if (k > dSae) {
            throw new WireFormatException(RejectReason.BAD_METADATA, "k = " + k + " exceeds d_sae = " + dSae);
        }
        return k;
    }

    @Override
    CodeBatch read(VectorSchemaRoot root, Header header) {
        CodeMeta meta = ((Meta) header).meta();
        int rows = root.getRowCount();
        int[] indices = Columns.readIntLists(root, WireSchema.LATENT_INDEX, meta.k(), rows);
        for (int i = 0; i < indices.length; i++) {
            if (indices[i] < 0 || indices[i] >= meta.dSae()) {
                throw new WireFormatException(RejectReason.INDEX_OUT_OF_RANGE, "latent_index " + indices[i]
                        + " at row " + (i / meta.k()) + " is outside [0, d_sae=" + meta.dSae() + ")");
            }
        }
        return new CodeBatch(meta,
                Columns.readLongs(root, WireSchema.SEQUENCE_ID, rows),
                Columns.readInts(root, WireSchema.POSITION, rows),
                Columns.readTokenIds(root, rows),
                indices,
                Columns.readFloatLists(root, WireSchema.LATENT_VALUE, meta.k(), rows),
                Columns.readFloats(root, WireSchema.RECON_ERROR, rows),
                Columns.readFloats(root, WireSchema.CENTERED_SQ_NORM, rows));
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
        int[] idx = new int[rows * k];
        float[] val = new float[rows * k];
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
