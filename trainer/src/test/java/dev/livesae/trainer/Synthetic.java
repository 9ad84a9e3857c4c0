package dev.livesae.trainer;

import dev.livesae.engine.synthetic.SyntheticFeatures;
import dev.livesae.wire.ActivationBatch;
import dev.livesae.wire.ActivationMeta;

/**
 * Synthetic activations (labelled as such): known unit feature directions in superposition from the engine's
 * {@link SyntheticFeatures}, packed as ActivationBatches with sequence ids and positions that name every token
 * uniquely: batch b, row r is sequence {@code b}, position {@code r}.
 */
final class Synthetic {
    static final int D = 64;
    static final int M = 128;
    static final int N = 512;
    static final int K = 8;

    final SyntheticFeatures gen;
    final ActivationMeta meta;
    private long nextSequence;

    Synthetic(String model, String hookpoint, long seed) {
        this(model, hookpoint, D, M, seed);
    }

    Synthetic(String model, String hookpoint, int d, int m, long seed) {
        this.gen = new SyntheticFeatures(d, m, 0.5, 4.0 / m, 0.01f, seed);
        this.meta = new ActivationMeta(model, hookpoint, d);
    }

    ActivationBatch next(int rows) {
        long seq = nextSequence++;
        long[] seqs = new long[rows];
        int[] pos = new int[rows];
        int[] tok = new int[rows];
        for (int r = 0; r < rows; r++) {
            seqs[r] = seq;
            pos[r] = r;
            tok[r] = (int) ((seq * 31 + r) % 30522);
        }
        return new ActivationBatch(meta, seqs, pos, tok, gen.next(rows));
    }

}
