package dev.livesae.wire;

import java.util.Random;

/** Small deterministic batches for wire tests (contents are arbitrary numbers: only encoding is tested). */
final class Batches {
    private Batches() {}

    static ActivationBatch activations(int rows, int d, long seed) {
        Random r = new Random(seed);
        long[] seq = new long[rows];
        int[] pos = new int[rows];
        int[] tok = new int[rows];
        float[] act = new float[rows * d];
        for (int i = 0; i < rows; i++) {
            seq[i] = 1000L + i / 7;
            pos[i] = i % 7;
            tok[i] = i % 5 == 4 ? ActivationBatch.NO_TOKEN : 100 + i;
        }
        for (int i = 0; i < act.length; i++) {
            act[i] = (float) r.nextGaussian();
        }
        return new ActivationBatch(new ActivationMeta("all-MiniLM-L6-v2", "blocks.3.hook_resid_post", d), seq, pos, tok, act);
    }

    static CodeBatch codes(int rows, int dSae, int k, long seed) {
        Random r = new Random(seed);
        long[] seq = new long[rows];
        int[] pos = new int[rows];
        int[] idx = new int[rows * k];
        float[] val = new float[rows * k];
        float[] err = new float[rows];
        float[] norm = new float[rows];
        for (int i = 0; i < rows; i++) {
            seq[i] = 7L << 48 | i;
            pos[i] = i;
            err[i] = r.nextFloat();
            norm[i] = 1 + r.nextFloat();
            for (int j = 0; j < k; j++) {
                idx[i * k + j] = r.nextInt(dSae);
                val[i * k + j] = r.nextFloat();
            }
        }
        CodeMeta meta = new CodeMeta("sae-test", 3, "all-MiniLM-L6-v2", "blocks.3.hook_resid_post", 16, dSae, k);
        return new CodeBatch(meta, seq, pos, null, idx, val, err, norm);
    }
}
