package dev.livesae.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WindowStatsTest {

    @Test
    void topOrdersByCountThenIdAndSkipsSilentLatents() {
        int[] counts = {3, 0, 5, 3, 1};
        double[] sums = {6, 0, 5, 3, 2};
        assertThat(WindowStats.top(counts, sums, 10, 3)).containsExactly(
                new WindowSummary.Feature(2, 5, 0.5, 1.0),
                new WindowSummary.Feature(0, 3, 0.3, 2.0),
                new WindowSummary.Feature(3, 3, 0.3, 1.0));
        assertThat(WindowStats.top(new int[] {0, 0}, new double[2], 10, 5)).isEmpty();
    }

    @Test
    void histogramQuantilesAreNearestRank() {
        long[] h = {1, 2, 1}; // values 0, 1, 1, 2
        assertThat(WindowStats.quantile(h, 0.5)).isEqualTo(1);
        assertThat(WindowStats.quantile(h, 0.25)).isZero();
        assertThat(WindowStats.quantile(h, 0.9)).isEqualTo(2);
        assertThat(WindowStats.mean(h)).isEqualTo(1.0);
        assertThat(WindowStats.maxIndex(h)).isEqualTo(2);
    }

    @Test
    void valueQuantilesAreNearestRankAndNullWhenEmpty() {
        float[] v = {0.4f, 0.1f, 0.3f, 0.2f, 9f};
        assertThat(WindowStats.quantiles(v, 4, 0.5, 0.99, 1.0)).containsExactly(0.2f + 0.0, (double) 0.4f, (double) 0.4f);
        assertThat(WindowStats.quantiles(v, 0, 0.5)).containsExactly((Double) null);
    }

    @Test
    void deadMeansNoFiringInTheLastHorizonTokens() {
        long[] lastFired = {-1, 0, 5, 9};
        assertThat(WindowStats.deadFraction(lastFired, 10, 10)).isEqualTo(0.25);  // only never-fired
        assertThat(WindowStats.deadFraction(lastFired, 10, 5)).isEqualTo(0.5);    // tokens 5..9: 5 and 9 fired
        assertThat(WindowStats.deadFraction(lastFired, 10, 11)).isZero();         // horizon not reached
    }

    @Test
    void denseIsStrictlyAboveTheThreshold() {
        assertThat(WindowStats.denseFraction(new int[] {10, 11, 0, 100}, 100, 0.1)).isEqualTo(0.5);
    }
}
