package dev.livesae.monitor;

/** Builds the summary of a state's open window when it closes (before {@link FeatureState#roll()}). */
final class Summaries {
    private Summaries() {
    }

    static WindowSummary window(FeatureState s, MonitorOptions o, long closedAtMs) {
        int tokens = s.windowTokens;
        int[] counts = s.windowCounts;
        double meanDensity = 0;
        for (int c : counts) {
            meanDensity += c;
        }
        meanDensity /= (double) tokens * s.dSae;
        WindowSummary.Density density = new WindowSummary.Density(meanDensity,
                (double) WindowStats.max(counts) / tokens,
                WindowStats.deadFraction(s.lastFired, s.tokensSeen, o.deadHorizonTokens()),
                s.tokensSeen >= o.deadHorizonTokens(), o.deadHorizonTokens(),
                WindowStats.denseFraction(counts, tokens, o.denseThreshold()), o.denseThreshold(),
                WindowStats.silentFraction(counts));
        WindowSummary.L0 l0 = new WindowSummary.L0(WindowStats.mean(s.l0Histogram),
                WindowStats.quantile(s.l0Histogram, 0.5), WindowStats.quantile(s.l0Histogram, 0.9),
                WindowStats.maxIndex(s.l0Histogram), s.l0Histogram.clone());
        Double[] q = WindowStats.quantiles(s.reconRatios, s.reconTokens, 0.5, 0.9, 0.99, 1.0);
        Double mean = null;
        if (s.reconTokens > 0) {
            double sum = 0;
            for (int i = 0; i < s.reconTokens; i++) {
                sum += s.reconRatios[i];
            }
            mean = sum / s.reconTokens;
        }
        WindowSummary.ReconError recon = new WindowSummary.ReconError(s.reconTokens,
                s.centeredNormSum > 0 ? s.reconErrorSum / s.centeredNormSum : null, mean, q[0], q[1], q[2], q[3]);
        WindowSummary.Drift drift = null;
        if (s.baselineReady()) {
            DriftMath.Scores scores = DriftMath.compare(s.baselineCounts, counts);
            DriftDecision.Result decision = s.windowDisjointFromBaseline()
                    ? DriftDecision.decide(s.baselineCounts, s.baselineTokens, s.blockCounts, s.blockTokens,
                            o.drift().falseAlarmRate(), o.drift().movers())
                    : null;
            drift = new WindowSummary.Drift(s.baselineSource.label(), s.baselineTokens, scores.psi(), scores.jsBits(),
                    decision);
        }
        return new WindowSummary(WindowSummary.SCHEMA, s.model, s.key.hookpoint(), s.key.saeId(), s.version, s.dSae,
                s.k, s.windowIndex, s.tokensSeen - tokens, tokens, closedAtMs, density, l0, recon,
                WindowStats.top(counts, s.windowSums, tokens, o.topN()), drift, counts.clone());
    }
}
