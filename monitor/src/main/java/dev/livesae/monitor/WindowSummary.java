package dev.livesae.monitor;

import java.util.List;

/**
 * What one closed window of W tokens says about a dictionary (schema {@value #SCHEMA}), written as JSON to
 * {@code telemetry.windows.<model>.<hookpoint>}. The density of latent i is {@code firingCounts[i] / tokens}.
 * Fields documented in docs/monitor.md. Ratios with no data (no token with a positive centered norm) are null.
 *
 * @param firstToken index of the window's first token among the tokens of this dictionary version
 * @param closedAtMs timestamp of the record that closed the window (the code record's timestamp)
 * @param drift      null until the version has a baseline
 */
public record WindowSummary(String schema, String model, String hookpoint, String saeId, long dictionaryVersion,
                            int dSae, int k, long windowIndex, long firstToken, int tokens, long closedAtMs,
                            Density density, L0 l0, ReconError reconError, List<Feature> topFeatures, Drift drift,
                            int[] firingCounts) {
    public static final String SCHEMA = "livesae.monitor.window/1";

    public WindowSummary {
        if (tokens < 1) {
            throw new IllegalArgumentException("window tokens must be >= 1 (got " + tokens + ")");
        }
        if (firingCounts == null || firingCounts.length != dSae) {
            throw new IllegalArgumentException("firingCounts must have d_sae=" + dSae + " entries (got "
                    + (firingCounts == null ? "null" : firingCounts.length) + ")");
        }
        topFeatures = List.copyOf(topFeatures);
    }

    /**
     * @param mean                  mean density over latents (= mean L0 / d_sae)
     * @param deadFraction          fraction of latents that have not fired in the last {@code deadHorizonTokens}
     *                              tokens of this version; 0 until the version has seen that many tokens
     * @param deadHorizonComplete   whether the version has seen at least {@code deadHorizonTokens} tokens
     * @param denseFraction         fraction of latents whose density in this window exceeds {@code denseThreshold}
     * @param silentFraction        fraction of latents that did not fire in this window
     */
    public record Density(double mean, double max, double deadFraction, boolean deadHorizonComplete,
                          long deadHorizonTokens, double denseFraction, double denseThreshold, double silentFraction) {
    }

    /** Active latents per token: {@code histogram[j]} tokens had exactly j values > 0. Percentiles are nearest-rank. */
    public record L0(double mean, int p50, int p90, int max, long[] histogram) {
    }

    /**
     * Per-token unexplained fraction {@code reconError / centeredSqNorm} over the {@code tokens} tokens with a
     * positive centered norm; {@code fvu = sum reconError / sum centeredSqNorm} over the window.
     */
    public record ReconError(int tokens, Double fvu, Double mean, Double p50, Double p90, Double p99, Double max) {
    }

    /** One latent in a window: firings, density and mean activation when firing. */
    public record Feature(int id, int count, double density, double meanActivation) {
    }

    /**
     * Drift of this window against its version's baseline: PSI and JS describe the distance ({@link DriftMath});
     * {@code decision} is the calibrated test ({@link DriftDecision}), null when the window overlaps its
     * first-tokens baseline or is too small to test.
     */
    public record Drift(String baselineSource, long baselineTokens, double psi, double jsBits,
                        DriftDecision.Result decision) {
    }
}
