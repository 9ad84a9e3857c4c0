package dev.livesae.wire;

/**
 * A block of activation rows from one hookpoint.
 *
 * @param sequenceIds  [rows] id of the text sequence each row belongs to
 * @param positions    [rows] token position inside its sequence
 * @param tokenIds     [rows] vocabulary id of the token, {@link #NO_TOKEN} where unknown; or null for none at all
 * @param activations  [rows, dIn] row-major
 */
public record ActivationBatch(ActivationMeta meta, long[] sequenceIds, int[] positions, int[] tokenIds,
                              float[] activations) {
    /** The token id of a row whose token is unknown (a null in the Arrow column). */
    public static final int NO_TOKEN = -1;

    public ActivationBatch {
        Checks.notNull("meta", meta);
        Checks.notNull("sequenceIds", sequenceIds);
        Checks.notNull("positions", positions);
        Checks.notNull("activations", activations);
        int rows = sequenceIds.length;
        Checks.length("positions", positions.length, rows);
        if (tokenIds != null) {
            Checks.length("tokenIds", tokenIds.length, rows);
        }
        Checks.length("activations", activations.length, (long) rows * meta.dIn());
    }

    public int rows() {
        return sequenceIds.length;
    }

    public int dIn() {
        return meta.dIn();
    }

    /** Copies row {@code i} into {@code dst[0..dIn)}. */
    public void row(int i, float[] dst) {
        System.arraycopy(activations, i * meta.dIn(), dst, 0, meta.dIn());
    }

    /** Token id of row {@code i}, {@link #NO_TOKEN} when unknown. */
    public int tokenId(int i) {
        return tokenIds == null ? NO_TOKEN : tokenIds[i];
    }
}
