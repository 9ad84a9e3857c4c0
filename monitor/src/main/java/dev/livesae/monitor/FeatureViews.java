package dev.livesae.monitor;

import java.util.ArrayList;
import java.util.List;

/**
 * The JSON answers of {@code /features/{id}} and {@code /features/top}, read from a stream's stored state.
 * "Window" is the last closed window, or the open window while none has closed yet ({@code windowClosed=false}).
 */
final class FeatureViews {
    private FeatureViews() {
    }

    record Feature(String saeId, String hookpoint, long dictionaryVersion, int id, long windowIndex,
                   boolean windowClosed, int windowTokens, int count, double density, Double meanActivation,
                   String baselineSource, boolean baselineComplete, long baselineTokens, Double baselineDensity,
                   long tokensSeen, Long lastFiredToken, Long tokensSinceFired) {
    }

    record Top(String saeId, String hookpoint, long dictionaryVersion, long windowIndex, boolean windowClosed,
               int windowTokens, List<TopFeature> features) {
    }

    record TopFeature(int id, int count, double density, double meanActivation, Double baselineDensity) {
    }

    static Feature feature(FeatureState s, int id) {
        if (id < 0 || id >= s.dSae) {
            throw new IllegalArgumentException("feature id must be in [0, " + s.dSae + ") (got " + id + ")");
        }
        boolean closed = s.lastWindowIndex >= 0;
        int[] counts = closed ? s.lastCounts : s.windowCounts;
        double[] sums = closed ? s.lastSums : s.windowSums;
        int tokens = closed ? s.lastTokens : s.windowTokens;
        int c = counts[id];
        long last = s.lastFired[id];
        return new Feature(s.key.saeId(), s.key.hookpoint(), s.version, id, closed ? s.lastWindowIndex : s.windowIndex,
                closed, tokens, c, tokens == 0 ? 0.0 : (double) c / tokens, c == 0 ? null : sums[id] / c,
                s.baselineSource.label(), s.baselineReady(), s.baselineTokens, baselineDensity(s, id),
                s.tokensSeen, last < 0 ? null : last, last < 0 ? null : s.tokensSeen - 1 - last);
    }

    static Top top(FeatureState s, int n) {
        if (n < 1 || n > 10_000) {
            throw new IllegalArgumentException("n must be in [1, 10000] (got " + n + ")");
        }
        boolean closed = s.lastWindowIndex >= 0;
        int[] counts = closed ? s.lastCounts : s.windowCounts;
        double[] sums = closed ? s.lastSums : s.windowSums;
        int tokens = closed ? s.lastTokens : s.windowTokens;
        List<TopFeature> out = new ArrayList<>();
        for (WindowSummary.Feature f : WindowStats.top(counts, sums, Math.max(1, tokens), n)) {
            out.add(new TopFeature(f.id(), f.count(), f.density(), f.meanActivation(), baselineDensity(s, f.id())));
        }
        return new Top(s.key.saeId(), s.key.hookpoint(), s.version, closed ? s.lastWindowIndex : s.windowIndex,
                closed, tokens, out);
    }

    private static Double baselineDensity(FeatureState s, int id) {
        return s.baselineTokens == 0 ? null : (double) s.baselineCounts[id] / s.baselineTokens;
    }
}
