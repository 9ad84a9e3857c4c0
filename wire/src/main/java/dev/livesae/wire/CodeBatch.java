package dev.livesae.wire;

/**
 * The sparse codes of a block of activation rows.
 *
 * @param latentIndices  [rows, k] row-major latent ids in [0, dSae)
 * @param latentValues   [rows, k] row-major activations, >= 0; 0 means the slot is not firing
 * @param reconError     [rows] ||x - x_hat||^2 in the original activation units
 * @param centeredSqNorm [rows] ||x - b_dec||^2, so reconError / centeredSqNorm is the unexplained fraction
 */
public record CodeBatch(CodeMeta meta, long[] sequenceIds, int[] positions, int[] tokenIds, int[] latentIndices,
                        float[] latentValues, float[] reconError, float[] centeredSqNorm) {
    public CodeBatch {
        Checks.notNull("meta", meta);
        Checks.notNull("sequenceIds", sequenceIds);
        Checks.notNull("positions", positions);
        Checks.notNull("latentIndices", latentIndices);
        Checks.notNull("latentValues", latentValues);
        Checks.notNull("reconError", reconError);
        Checks.notNull("centeredSqNorm", centeredSqNorm);
        int rows = sequenceIds.length;
        long slots = (long) rows * meta.k();
        Checks.length("positions", positions.length, rows);
        if (tokenIds != null) {
            Checks.length("tokenIds", tokenIds.length, rows);
        }
        Checks.length("latentIndices", latentIndices.length, slots);
        Checks.length("latentValues", latentValues.length, slots);
        Checks.length("reconError", reconError.length, rows);
        Checks.length("centeredSqNorm", centeredSqNorm.length, rows);
    }

    public int rows() {
        return sequenceIds.length;
    }

    public int k() {
        return meta.k();
    }

    public int tokenId(int i) {
        return tokenIds == null ? ActivationBatch.NO_TOKEN : tokenIds[i];
    }
}
