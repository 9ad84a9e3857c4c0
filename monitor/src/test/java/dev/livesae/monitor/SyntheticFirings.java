package dev.livesae.monitor;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A stationary source of k-sparse firings with the dependence real SAE codes have: every token fires exactly k
 * distinct latents; latent popularity is Zipf-like (many rare latents); tokens come in sequences of 8..128 tokens,
 * each sequence has one of {@code topics} topics whose ~5% of latents are favoured for all its tokens, and two
 * "sequence" latents of its topic fire on every token of the sequence. Sequences run across window boundaries.
 * {@link #shiftTo(int)} is a change of domain.
 */
final class SyntheticFirings {
    private final int d;
    private final int k;
    private final SplittableRandom rnd;
    private double[] global;
    private final int[][] topicLatents;
    private final double[][] topicCdf;
    private int firstTopic;
    private final int topics;
    private int seqLeft;
    private int seqTopic;
    private final int[] seqLatents = new int[2];
    private final int[] row;
    private final int[] stamp;
    private int token;
    private long sequence;
    private int position;
    /** Share of a token's remaining draws from its sequence's topic (the rest from the global popularity). */
    private static final double TOPIC_SHARE = 0.6;

    SyntheticFirings(int d, int k, int topics, long seed) {
        if (k < 3 || k > d / 4) {
            throw new IllegalArgumentException("k must be in [3, d/4] (got " + k + ")");
        }
        this.d = d;
        this.k = k;
        this.topics = topics;
        this.rnd = new SplittableRandom(seed);
        this.row = new int[k];
        this.stamp = new int[d];
        // Zipf weights 1 / (rank + 5)^1.1 over a random permutation of latents
        global = zipf(d, rnd);
        int size = Math.max(8, d / 20);
        topicLatents = new int[2 * topics][];
        topicCdf = new double[2 * topics][];
        for (int t = 0; t < 2 * topics; t++) {
            int[] p = permutation(d, rnd);
            topicLatents[t] = Arrays.copyOf(p, size);
            double[] tw = new double[size];
            for (int r = 0; r < size; r++) {
                tw[r] = 1 / Math.pow(r + 2, 1.0);
            }
            topicCdf[t] = cdf(tw);
        }
    }

    /**
     * A change of domain, as from one language to another: future sequences draw their topics from
     * {@code [from, from + topics)} (topics >= {@code topics} are new) and the global popularity of latents is
     * drawn afresh.
     */
    void shiftTo(int from) {
        firstTopic = from;
        seqLeft = 0;
        global = zipf(d, rnd);
    }

    /** The next {@code tokens} tokens, counted per latent into {@code counts}. */
    void counts(int tokens, int[] counts) {
        for (int t = 0; t < tokens; t++) {
            for (int i : next()) {
                counts[i]++;
            }
        }
    }

    /** The next window of {@code w} tokens, split into blocks at sequence starts as the monitor does. */
    void window(int w, int[] blockCounts, int[] blockTokens) {
        Arrays.fill(blockCounts, 0);
        Arrays.fill(blockTokens, 0);
        int b = 0;
        for (int t = 0; t < w; t++) {
            b = DriftDecision.nextBlock(b, t, w, seqLeft == 0);
            blockTokens[b]++;
            int off = b * d;
            for (int i : next()) {
                blockCounts[off + i]++;
            }
        }
    }

    /** The next {@code rows} tokens as a code batch (values 1, sequence ids and positions of the sequences). */
    dev.livesae.wire.CodeBatch batch(dev.livesae.wire.CodeMeta meta, int rows) {
        long[] seq = new long[rows];
        int[] pos = new int[rows];
        int[] idx = new int[rows * k];
        float[] val = new float[rows * k];
        float[] err = new float[rows];
        float[] norm = new float[rows];
        for (int r = 0; r < rows; r++) {
            if (seqLeft == 0) {
                sequence++;
                position = 0;
            }
            int[] row = next();
            seq[r] = sequence;
            pos[r] = position++;
            System.arraycopy(row, 0, idx, r * k, k);
            Arrays.fill(val, r * k, (r + 1) * k, 1f);
            err[r] = 0.25f;
            norm[r] = 1f;
        }
        return new dev.livesae.wire.CodeBatch(meta, seq, pos, null, idx, val, err, norm);
    }

    /** The k distinct latents of the next token. */
    int[] next() {
        if (seqLeft == 0) {
            seqLeft = 8 + rnd.nextInt(121);
            seqTopic = firstTopic + rnd.nextInt(topics);
            int[] lat = topicLatents[seqTopic];
            seqLatents[0] = lat[rnd.nextInt(lat.length)];
            do {
                seqLatents[1] = lat[rnd.nextInt(lat.length)];
            } while (seqLatents[1] == seqLatents[0]);
        }
        seqLeft--;
        token++;
        row[0] = seqLatents[0];
        row[1] = seqLatents[1];
        stamp[row[0]] = token;
        stamp[row[1]] = token;
        int n = 2;
        while (n < k) {
            int c;
            if (rnd.nextDouble() < TOPIC_SHARE) {
                c = topicLatents[seqTopic][draw(topicCdf[seqTopic])];
            } else {
                c = draw(global);
            }
            if (stamp[c] != token) {
                stamp[c] = token;
                row[n++] = c;
            }
        }
        return row;
    }

    /** Zipf weights 1 / (rank + 5)^1.1 over a random permutation of latents, as a cumulative sum. */
    private static double[] zipf(int d, SplittableRandom rnd) {
        int[] perm = permutation(d, rnd);
        double[] w = new double[d];
        for (int r = 0; r < d; r++) {
            w[perm[r]] = 1 / Math.pow(r + 5, 1.1);
        }
        return cdf(w);
    }

    private int draw(double[] cdf) {
        int i = Arrays.binarySearch(cdf, rnd.nextDouble() * cdf[cdf.length - 1]);
        return i >= 0 ? i : Math.min(cdf.length - 1, -i - 1);
    }

    private static double[] cdf(double[] w) {
        double[] c = new double[w.length];
        double s = 0;
        for (int i = 0; i < w.length; i++) {
            s += w[i];
            c[i] = s;
        }
        return c;
    }

    private static int[] permutation(int n, SplittableRandom rnd) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
