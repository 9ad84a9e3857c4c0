package dev.livesae.monitor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/** The per-window statistics, each a plain function of a window's arrays. */
final class WindowStats {
    private WindowStats() {
    }

    /** Fraction of latents whose density {@code counts[i] / tokens} is strictly above {@code threshold}. */
    static double denseFraction(int[] counts, int tokens, double threshold) {
        double limit = threshold * tokens;
        int dense = 0;
        for (int c : counts) {
            if (c > limit) {
                dense++;
            }
        }
        return (double) dense / counts.length;
    }

    /**
     * Fraction of latents with no firing among the last {@code horizon} tokens, tokens numbered 0.. tokensSeen-1
     * and {@code lastFired[i] = -1} for a latent that never fired: dead iff {@code lastFired[i] < tokensSeen - horizon}.
     * A never-fired latent is therefore dead only once {@code horizon} tokens have been seen.
     */
    static double deadFraction(long[] lastFired, long tokensSeen, long horizon) {
        long cutoff = tokensSeen - horizon;
        int dead = 0;
        for (long t : lastFired) {
            if (t < cutoff) {
                dead++;
            }
        }
        return (double) dead / lastFired.length;
    }

    static double silentFraction(int[] counts) {
        int silent = 0;
        for (int c : counts) {
            if (c == 0) {
                silent++;
            }
        }
        return (double) silent / counts.length;
    }

    static int max(int[] counts) {
        int m = 0;
        for (int c : counts) {
            m = Math.max(m, c);
        }
        return m;
    }

    /** Nearest-rank quantile of a histogram over 0..len-1: the smallest j with cumulative count >= ceil(q n). */
    static int quantile(long[] histogram, double q) {
        long n = 0;
        for (long h : histogram) {
            n += h;
        }
        if (n == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(q * n));
        long seen = 0;
        for (int j = 0; j < histogram.length; j++) {
            seen += histogram[j];
            if (seen >= rank) {
                return j;
            }
        }
        return histogram.length - 1;
    }

    static double mean(long[] histogram) {
        long n = 0;
        double s = 0;
        for (int j = 0; j < histogram.length; j++) {
            n += histogram[j];
            s += (double) j * histogram[j];
        }
        return n == 0 ? 0.0 : s / n;
    }

    static int maxIndex(long[] histogram) {
        for (int j = histogram.length - 1; j >= 0; j--) {
            if (histogram[j] > 0) {
                return j;
            }
        }
        return 0;
    }

    /** Nearest-rank quantiles of {@code values[0..n)}; sorts a copy. Empty input gives nulls. */
    static Double[] quantiles(float[] values, int n, double... qs) {
        Double[] out = new Double[qs.length];
        if (n == 0) {
            return out;
        }
        float[] sorted = Arrays.copyOf(values, n);
        Arrays.sort(sorted);
        for (int i = 0; i < qs.length; i++) {
            int rank = (int) Math.max(1, Math.ceil(qs[i] * n));
            out[i] = (double) sorted[Math.min(n, rank) - 1];
        }
        return out;
    }

    /** The {@code n} most frequent latents that fired, by count descending then id ascending. */
    static List<WindowSummary.Feature> top(int[] counts, double[] sums, int tokens, int n) {
        Comparator<Integer> weakestFirst = Comparator.<Integer>comparingInt(i -> counts[i])
                .thenComparing(Comparator.<Integer>naturalOrder().reversed());
        PriorityQueue<Integer> heap = new PriorityQueue<>(n + 1, weakestFirst);
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] == 0) {
                continue;
            }
            if (heap.size() < n) {
                heap.add(i);
            } else if (weakestFirst.compare(i, heap.peek()) > 0) {
                heap.poll();
                heap.add(i);
            }
        }
        List<Integer> ids = new ArrayList<>(heap);
        ids.sort(weakestFirst.reversed());
        List<WindowSummary.Feature> out = new ArrayList<>(ids.size());
        for (int i : ids) {
            out.add(new WindowSummary.Feature(i, counts[i], (double) counts[i] / tokens, sums[i] / counts[i]));
        }
        return out;
    }
}
