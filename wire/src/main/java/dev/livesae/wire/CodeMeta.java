package dev.livesae.wire;

/**
 * Which dictionary made a code batch. Codes of different {@code dictionaryVersion}s are never compared.
 */
public record CodeMeta(String saeId, long dictionaryVersion, String model, String hookpoint, int dIn, int dSae, int k) {
    public CodeMeta {
        Checks.text("saeId", saeId);
        Checks.text("model", model);
        Checks.text("hookpoint", hookpoint);
        if (dictionaryVersion < 0) {
            throw new IllegalArgumentException("dictionaryVersion must be >= 0 (got " + dictionaryVersion + ")");
        }
        if (dIn < 1) {
            throw new IllegalArgumentException("dIn must be >= 1 (got " + dIn + ")");
        }
        if (dSae < 1) {
            throw new IllegalArgumentException("dSae must be >= 1 (got " + dSae + ")");
        }
        if (k < 1 || k > dSae) {
            throw new IllegalArgumentException("k must be in [1, dSae=" + dSae + "] (got " + k + ")");
        }
    }
}
