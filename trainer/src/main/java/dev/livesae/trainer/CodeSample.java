package dev.livesae.trainer;

import dev.livesae.wire.ActivationBatch;

/**
 * Which tokens of a record get codes when only one in {@code every} does ({@code --codes-sample}): the rows
 * {@code r} with {@code r % every == phase}, where the phase is a hash of the record's partition and offset. So
 * every record contributes {@code floor} or {@code ceil} of {@code rows / every} rows, the choice does not follow a
 * fixed position in each sequence, and a re-consumed record (crash recovery) picks the same rows. The codes of
 * the chosen rows are exact: they are the full encode of those rows.
 */
record CodeSample(int every) {
    CodeSample {
        if (every < 1) {
            throw new IllegalArgumentException("every must be >= 1 (got " + every + ")");
        }
    }

    /** The first sampled row of the record at {@code partition}/{@code offset}, in [0, every). */
    int phase(int partition, long offset) {
        return (int) Long.remainderUnsigned(SplitMix64.mix(((long) partition << 48) ^ offset), every);
    }

    /** The sampled rows of {@code b}; {@code b} itself when every row is; a zero-row batch when none is. */
    ActivationBatch rows(ActivationBatch b, int partition, long offset) {
        if (every == 1) {
            return b;
        }
        int phase = phase(partition, offset);
        int rows = b.rows();
        int m = rows > phase ? (rows - phase + every - 1) / every : 0;
        int d = b.dIn();
        long[] seq = new long[m];
        int[] pos = new int[m];
        int[] tok = b.tokenIds() == null ? null : new int[m];
        float[] x = new float[m * d];
        for (int j = 0, r = phase; j < m; j++, r += every) {
            seq[j] = b.sequenceIds()[r];
            pos[j] = b.positions()[r];
            if (tok != null) {
                tok[j] = b.tokenIds()[r];
            }
            System.arraycopy(b.activations(), r * d, x, j * d, d);
        }
        return new ActivationBatch(b.meta(), seq, pos, tok, x);
    }
}
