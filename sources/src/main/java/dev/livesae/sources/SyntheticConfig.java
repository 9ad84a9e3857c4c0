package dev.livesae.sources;

/**
 * Parameters of {@link SyntheticActivations}.
 *
 * @param features      m, number of true features (dictionary rows)
 * @param dIn           d, activation width
 * @param alpha         power-law exponent of firing probabilities, p_i proportional to (i + 1)^-alpha
 * @param meanActive    expected number of features firing per token (sum of p_i before clipping at 1)
 * @param magnitudeMean mean magnitude of a firing feature; magnitudes are uniform in [0.5, 1.5] x this
 * @param noiseStd      standard deviation of i.i.d. Gaussian noise added to every coordinate
 * @param seed          seed: equal configs give bit-identical dictionaries and rows
 */
public record SyntheticConfig(int features, int dIn, double alpha, double meanActive, double magnitudeMean,
                              double noiseStd, long seed) {
    public SyntheticConfig {
        if (features < 1 || features > 1 << 20) {
            throw new IllegalArgumentException("features must be in [1, 1048576] (got " + features + ")");
        }
        if (dIn < 1 || dIn > 1 << 16) {
            throw new IllegalArgumentException("dIn must be in [1, 65536] (got " + dIn + ")");
        }
        if (!(alpha >= 0 && alpha <= 4)) {
            throw new IllegalArgumentException("alpha must be in [0, 4] (got " + alpha + ")");
        }
        if (!(meanActive > 0 && meanActive <= features)) {
            throw new IllegalArgumentException("meanActive must be in (0, features=" + features + "] (got " + meanActive + ")");
        }
        if (!(magnitudeMean > 0 && Double.isFinite(magnitudeMean))) {
            throw new IllegalArgumentException("magnitudeMean must be > 0 (got " + magnitudeMean + ")");
        }
        if (!(noiseStd >= 0 && Double.isFinite(noiseStd))) {
            throw new IllegalArgumentException("noiseStd must be >= 0 (got " + noiseStd + ")");
        }
    }

    /** m = 512 features in d = 64, alpha 1.0, 8 active per token, magnitude 1, noise 0.01, seed 42. */
    public static SyntheticConfig defaults() {
        return new SyntheticConfig(512, 64, 1.0, 8, 1.0, 0.01, 42);
    }
}
