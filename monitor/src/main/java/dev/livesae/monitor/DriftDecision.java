package dev.livesae.monitor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The calibrated drift decision of one closed window: does the window's latent firing distribution come from the
 * baseline's? A two-sample Pearson statistic on binned firing densities whose null distribution is estimated from
 * the window itself, split into {@value #BLOCKS} consecutive blocks. Derivation in docs/monitor.md
 * ("The drift decision"); in short:
 *
 * <ol>
 *   <li><b>Bins.</b> Latents sorted by pooled count {@code b_i + w_i} (ascending, ties by id) are pooled greedily
 *       into bins holding an expected {@value #MIN_EXPECTED} firings in the smaller sample,
 *       {@code min(W, B) / (W + B) * sum_bin (b_i + w_i)}; a common latent is a bin of its own, rare and never-fired
 *       latents share bins. Given the pooled counts, the split between baseline and window carries the test.</li>
 *   <li><b>Statistic.</b> With densities {@code x_j = b_j / B} (baseline), {@code y_j = w_j / W} (window), pooled
 *       {@code p_j = (b_j + w_j) / (B + W)} and {@code h = 1/W + 1/B}:
 *       {@code Q = sum_j (y_j - x_j)^2 / (p_j h)}. Under independent multinomial sampling this is Pearson's
 *       chi-square with K - 1 degrees of freedom.</li>
 *   <li><b>Dependence.</b> Tokens are not independent draws: each fires k latents without replacement, latents
 *       co-fire, and tokens of a sequence share features. If the count vector over n tokens has covariance
 *       {@code n Sigma}, then {@code E Q = tr(Omega)}, {@code Var Q = 2 tr(Omega^2)}, with
 *       {@code Omega = P^-1/2 Sigma P^-1/2}. Both traces are estimated from the window's blocks, which change only
 *       where a sequence starts ({@link #nextBlock}; block densities around the window density,
 *       {@code n = non-empty blocks - 1} degrees of freedom):
 *       {@code A1 = tr(S)} and the unbiased {@code A2 = n^2 / ((n-1)(n+2)) (tr(S^2) - tr(S)^2 / n)}, through the
 *       {@code BLOCKS x BLOCKS} Gram matrix.</li>
 *   <li><b>Null.</b> Satterthwaite: {@code Q ~ c chi2(nu)}, {@code nu = A1^2 / A2}, {@code c = A2 / A1}; since
 *       {@code A1} itself is estimated with about {@code n nu} degrees of freedom,
 *       {@code Q / A1 ~ F(nu, n nu)}. The p-value is that F's upper tail; the window drifts when
 *       {@code p < alpha}, the stated false-alarm rate per window.</li>
 * </ol>
 */
public final class DriftDecision {
    /** Blocks a window is split into to estimate the null: consecutive runs of about W / 16 tokens. */
    public static final int BLOCKS = 16;
    /** Expected firings per bin in the smaller of window and baseline. */
    public static final double MIN_EXPECTED = 10.0;
    /** Fewer window tokens than this (two per block) give no decision. */
    public static final int MIN_WINDOW_TOKENS = 2 * BLOCKS;
    /** Fewer non-empty blocks than this (windows of a few long sequences) give no decision. */
    public static final int MIN_BLOCKS = 4;

    private DriftDecision() {
    }

    /** A latent that moved: its densities and its own Pearson term, divided by the window's dispersion. */
    public record Mover(int id, double baselineDensity, double windowDensity, double contribution) {
    }

    /**
     * @param statistic     Q, Pearson's two-sample statistic over the bins
     * @param pValue        {@code P(F(nu, n nu) > Q / A1)}; may underflow to 0, see {@code log10PValue}
     * @param log10PValue   log10 of the p-value (finite far below the smallest double)
     * @param detected      {@code pValue < falseAlarmRate}
     * @param falseAlarmRate the per-window false-alarm rate alpha the decision was made at
     * @param bins          K, the bins after pooling rare latents
     * @param effectiveDf   nu, Satterthwaite's degrees of freedom of Q
     * @param dispersion    {@code A1 / (K - 1)}: 1 for independent multinomial tokens, above 1 with dependence
     * @param movers        latents with the largest terms, largest first
     */
    public record Result(double statistic, double pValue, double log10PValue, boolean detected, double falseAlarmRate,
                         int bins, double effectiveDf, double dispersion, List<Mover> movers) {
        public Result {
            movers = List.copyOf(movers);
        }
    }

    /** The nominal block of token {@code position} (0-based in its window) of a window of {@code windowTokens}. */
    static int block(int position, int windowTokens) {
        return (int) ((long) position * BLOCKS / windowTokens);
    }

    /**
     * The block of the token at {@code position}, given the block of the token before: blocks change only where a
     * sequence starts, so a sequence (whose tokens share features) never spans two blocks except at the window's
     * own edges. A block whose nominal span holds no sequence start stays empty.
     */
    static int nextBlock(int current, int position, int windowTokens, boolean sequenceStart) {
        int nominal = block(position, windowTokens);
        return position == 0 ? 0 : sequenceStart && nominal > current ? nominal : current;
    }

    /**
     * The decision for one window.
     *
     * @param baselineCounts firings per latent over {@code baselineTokens} baseline tokens (disjoint from the window)
     * @param blockCounts    {@code BLOCKS x d_sae} firings, block-major: {@code blockCounts[b * d + i]}
     * @param blockTokens    tokens per block ({@link #nextBlock}); empty blocks are skipped
     * @return null when there is nothing to test (fewer than {@link #MIN_WINDOW_TOKENS} tokens or
     *         {@link #MIN_BLOCKS} non-empty blocks, fewer than 2 bins)
     */
    public static Result decide(int[] baselineCounts, long baselineTokens, int[] blockCounts, int[] blockTokens,
                                double falseAlarmRate, int topMovers) {
        int d = baselineCounts.length;
        if (blockTokens.length != BLOCKS || blockCounts.length != BLOCKS * d) {
            throw new IllegalArgumentException("blockCounts must be " + BLOCKS + " x d_sae=" + d + " (got "
                    + blockCounts.length + " counts, " + blockTokens.length + " blocks)");
        }
        if (!(falseAlarmRate > 0 && falseAlarmRate < 1)) {
            throw new IllegalArgumentException("falseAlarmRate must be in (0, 1) (got " + falseAlarmRate + ")");
        }
        long w = 0;
        int used = 0;
        for (int t : blockTokens) {
            if (t < 0) {
                throw new IllegalArgumentException("blockTokens must be >= 0 (got " + t + ")");
            }
            w += t;
            used += t > 0 ? 1 : 0;
        }
        if (w < MIN_WINDOW_TOKENS || used < MIN_BLOCKS || baselineTokens < 1) {
            return null;
        }
        double window = w;
        double base = baselineTokens;
        int[] windowCounts = new int[d];
        for (int b = 0; b < BLOCKS; b++) {
            for (int i = 0; i < d; i++) {
                windowCounts[i] += blockCounts[b * d + i];
            }
        }

        int[] pooledCounts = new int[d];
        for (int i = 0; i < d; i++) {
            pooledCounts[i] = baselineCounts[i] + windowCounts[i];
        }
        int[] bin = bins(pooledCounts, Math.min(window, base) / (base + window));
        int k = 0;
        for (int j : bin) {
            k = Math.max(k, j + 1);
        }
        if (k < 2) {
            return null;
        }
        double[] bb = new double[k];
        double[] ww = new double[k];
        for (int i = 0; i < d; i++) {
            bb[bin[i]] += baselineCounts[i];
            ww[bin[i]] += windowCounts[i];
        }
        double h = 1 / window + 1 / base;
        double q = 0;
        double[] y = new double[k];
        double[] scale = new double[k];
        for (int j = 0; j < k; j++) {
            double pooled = (bb[j] + ww[j]) / (base + window);
            y[j] = ww[j] / window;
            double diff = y[j] - bb[j] / base;
            q += diff * diff / (pooled * h);
            scale[j] = 1 / Math.sqrt(pooled);
        }

        // R: BLOCKS x K, r_bj = sqrt(L_b / n) (c_bj / L_b - y_j) / sqrt(p_j); Omega-hat = R^T R
        int n = used - 1;
        double[][] r = new double[BLOCKS][k];
        for (int b = 0; b < BLOCKS; b++) {
            if (blockTokens[b] == 0) {
                continue;
            }
            double[] binCounts = new double[k];
            int off = b * d;
            for (int i = 0; i < d; i++) {
                binCounts[bin[i]] += blockCounts[off + i];
            }
            double l = blockTokens[b];
            double weight = Math.sqrt(l / n);
            for (int j = 0; j < k; j++) {
                r[b][j] = weight * (binCounts[j] / l - y[j]) * scale[j];
            }
        }
        double a1 = 0;
        double trS2 = 0;
        for (int b = 0; b < BLOCKS; b++) {
            for (int c = b; c < BLOCKS; c++) {
                double g = 0;
                double[] rb = r[b];
                double[] rc = r[c];
                for (int j = 0; j < k; j++) {
                    g += rb[j] * rc[j];
                }
                if (b == c) {
                    a1 += g;
                    trS2 += g * g;
                } else {
                    trS2 += 2 * g * g;
                }
            }
        }
        double a2 = (double) n * n / ((n - 1.0) * (n + 2.0)) * (trS2 - a1 * a1 / n);
        // nu in [1, K]: a sum of K squared terms has at least 1 and at most K degrees of freedom
        a2 = Math.min(a1 * a1, Math.max(a2, a1 * a1 / k));
        double logP;
        double nu;
        if (a1 > 0) {
            nu = a1 * a1 / a2;
            logP = FDistribution.logSurvival(q / a1, nu, n * nu);
        } else {
            // every block identical: no sampling noise at all, so any difference is a shift
            nu = k - 1;
            logP = q > 0 ? Double.NEGATIVE_INFINITY : 0.0;
        }
        double log10P = logP / Math.log(10);
        double p = Math.exp(logP);
        double dispersion = a1 > 0 ? a1 / (k - 1) : 1.0;
        List<Mover> movers = movers(baselineCounts, windowCounts, base, window, h, dispersion, topMovers);
        return new Result(q, p, Math.max(log10P, -Double.MAX_VALUE), logP < Math.log(falseAlarmRate), falseAlarmRate,
                k, nu, dispersion, movers);
    }

    /**
     * Bin of each latent: latents in ascending pooled count {@code b_i + w_i} are pooled until the bin's expected
     * firings in the smaller sample, {@code ratio * sum (b_i + w_i)}, reach {@link #MIN_EXPECTED}; a short last bin
     * joins the one before. Pooled counts, not baseline counts: ranking latents by the baseline's own noise and then
     * comparing the baseline with the window is biased (the latents ranked lowest are those the baseline
     * under-counted), while given the pooled count the split between baseline and window carries the whole test.
     */
    static int[] bins(int[] pooledCounts, double ratio) {
        int d = pooledCounts.length;
        long[] order = new long[d];
        for (int i = 0; i < d; i++) {
            order[i] = ((long) pooledCounts[i] << 32) | i;
        }
        Arrays.sort(order);
        int[] bin = new int[d];
        int j = 0;
        double expected = 0;
        int lastClosed = -1;
        for (int s = 0; s < d; s++) {
            int i = (int) order[s];
            bin[i] = j;
            expected += ratio * pooledCounts[i];
            if (expected >= MIN_EXPECTED) {
                lastClosed = s;
                j++;
                expected = 0;
            }
        }
        // latents after the last full bin join it
        if (lastClosed >= 0 && lastClosed < d - 1) {
            int joined = j - 1;
            for (int s = lastClosed + 1; s < d; s++) {
                bin[(int) order[s]] = joined;
            }
        }
        return bin;
    }

    private static List<Mover> movers(int[] baseline, int[] window, double base, double win, double h, double dispersion,
                                      int n) {
        if (n <= 0) {
            return List.of();
        }
        double[] term = new double[baseline.length];
        PriorityQueue<Integer> heap = new PriorityQueue<>(n + 1,
                (a, b) -> term[a] != term[b] ? Double.compare(term[a], term[b]) : Integer.compare(b, a));
        for (int i = 0; i < baseline.length; i++) {
            double pooled = (baseline[i] + window[i]) / (base + win);
            if (pooled == 0) {
                continue;
            }
            double diff = window[i] / win - baseline[i] / base;
            term[i] = diff * diff / (pooled * h) / dispersion;
            heap.add(i);
            if (heap.size() > n) {
                heap.poll();
            }
        }
        List<Mover> out = new ArrayList<>(heap.size());
        while (!heap.isEmpty()) {
            int i = heap.poll();
            out.add(new Mover(i, baseline[i] / base, window[i] / win, term[i]));
        }
        Collections.reverse(out);
        return out;
    }
}
