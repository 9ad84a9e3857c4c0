package dev.livesae.monitor;

/**
 * Drift between two firing-count vectors over the same dictionary (same d_sae, same dictionary version).
 *
 * <p>Each count vector {@code c[d_sae]} (firings per latent in a window) becomes a distribution over latents with
 * additive (Laplace / Lidstone) smoothing: {@code p_i = (c_i + a) / (sum_j c_j + a * d_sae)}, with
 * {@code a = }{@link #PSEUDO_COUNT}. Smoothing keeps PSI finite when a latent fires in one window and not in the
 * other, and both scores use the same smoothed distributions so they describe the same pair of vectors.
 *
 * <ul>
 *   <li>PSI = sum_i (q_i - p_i) ln(q_i / p_i) (natural log, unitless); p = baseline, q = window.</li>
 *   <li>JS  = 1/2 KL(p || m) + 1/2 KL(q || m), m = (p + q) / 2, in bits (log base 2), so 0 &lt;= JS &lt;= 1.</li>
 * </ul>
 */
public final class DriftMath {

    /** Pseudo-count added to every latent's firing count before normalising (Jeffreys' 1/2). */
    public static final double PSEUDO_COUNT = 0.5;

    private static final double LN2 = Math.log(2.0);

    private DriftMath() {
    }

    /** Drift scores of one window against its baseline. */
    public record Scores(double psi, double jsBits) {
        public Scores {
            if (!(psi >= 0.0) || !(jsBits >= 0.0)) {
                throw new IllegalArgumentException("drift scores must be finite and >= 0 (got psi=" + psi + ", js=" + jsBits + ")");
            }
        }
    }

    /** Smoothed distribution over latents: {@code (c_i + a) / (sum c + a * d)}. */
    public static double[] smoothed(int[] counts, double pseudoCount) {
        if (counts.length == 0) {
            throw new IllegalArgumentException("counts must not be empty");
        }
        if (!(pseudoCount > 0.0) || Double.isInfinite(pseudoCount)) {
            throw new IllegalArgumentException("pseudoCount must be > 0 (got " + pseudoCount + ")");
        }
        double total = 0;
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] < 0) {
                throw new IllegalArgumentException("counts[" + i + "] must be >= 0 (got " + counts[i] + ")");
            }
            total += counts[i];
        }
        double denominator = total + pseudoCount * counts.length;
        double[] p = new double[counts.length];
        for (int i = 0; i < counts.length; i++) {
            p[i] = (counts[i] + pseudoCount) / denominator;
        }
        return p;
    }

    /** Population stability index {@code sum (q - p) ln(q / p)} of two strictly positive distributions. */
    public static double psi(double[] baseline, double[] window) {
        requireSameLength(baseline, window);
        double sum = 0;
        for (int i = 0; i < baseline.length; i++) {
            sum += (window[i] - baseline[i]) * Math.log(window[i] / baseline[i]);
        }
        return Math.max(0.0, sum);
    }

    /** Jensen-Shannon divergence in bits; terms with a zero probability contribute 0. */
    public static double jsBits(double[] p, double[] q) {
        requireSameLength(p, q);
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            double m = 0.5 * (p[i] + q[i]);
            if (p[i] > 0) {
                sum += 0.5 * p[i] * Math.log(p[i] / m);
            }
            if (q[i] > 0) {
                sum += 0.5 * q[i] * Math.log(q[i] / m);
            }
        }
        return Math.max(0.0, sum / LN2);
    }

    /** PSI and JS of a window's firing counts against a baseline's, both smoothed with {@link #PSEUDO_COUNT}. */
    public static Scores compare(int[] baselineCounts, int[] windowCounts) {
        if (baselineCounts.length != windowCounts.length) {
            throw new IllegalArgumentException("baseline has d_sae=" + baselineCounts.length
                    + " but window has d_sae=" + windowCounts.length);
        }
        double[] p = smoothed(baselineCounts, PSEUDO_COUNT);
        double[] q = smoothed(windowCounts, PSEUDO_COUNT);
        return new Scores(psi(p, q), jsBits(p, q));
    }

    private static void requireSameLength(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("distributions differ in length: " + a.length + " vs " + b.length);
        }
    }
}
