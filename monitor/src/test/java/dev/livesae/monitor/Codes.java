package dev.livesae.monitor;

import dev.livesae.wire.CodeBatch;
import dev.livesae.wire.CodeMeta;

/**
 * Hand-written code batches for tests: each row lists the latents that fire; the remaining top-k slots carry
 * value 0 ("not firing"). Row r fires latent i with value {@code 1 + i / 10} and has reconError {@code err[r]}
 * over centeredSqNorm 1.
 */
final class Codes {
    static final String MODEL = "all-MiniLM-L6-v2";
    static final String HOOK = "blocks.3.hook_resid_post";
    static final String SAE = "sae-test";

    private Codes() {
    }

    static CodeMeta meta(long version, int dSae, int k) {
        return new CodeMeta(SAE, version, MODEL, HOOK, 16, dSae, k);
    }

    static CodeBatch batch(CodeMeta meta, int[][] firing, float[] reconError) {
        int rows = firing.length;
        int k = meta.k();
        long[] seq = new long[rows];
        int[] pos = new int[rows];
        int[] idx = new int[rows * k];
        float[] val = new float[rows * k];
        float[] err = new float[rows];
        float[] norm = new float[rows];
        for (int r = 0; r < rows; r++) {
            seq[r] = 100 + r;
            pos[r] = r;
            if (firing[r].length > k) {
                throw new IllegalArgumentException("row " + r + " fires more than k latents");
            }
            for (int j = 0; j < firing[r].length; j++) {
                idx[r * k + j] = firing[r][j];
                val[r * k + j] = 1f + firing[r][j] / 10f;
            }
            err[r] = reconError == null ? 0.25f : reconError[r];
            norm[r] = 1f;
        }
        return new CodeBatch(meta, seq, pos, null, idx, val, err, norm);
    }

    static CodeBatch batch(CodeMeta meta, int[][] firing) {
        return batch(meta, firing, null);
    }

    /** {@code times} copies of one row. */
    static int[][] repeat(int times, int... row) {
        int[][] out = new int[times][];
        for (int i = 0; i < times; i++) {
            out[i] = row.clone();
        }
        return out;
    }
}
