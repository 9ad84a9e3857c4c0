package dev.livesae.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

class DriftDecisionTest {

    @Test
    void fTailMatchesClosedFormsAndTables() {
        // F(2, d2): P(F > f) = (1 + 2 f / d2)^(-d2 / 2)
        for (double f : new double[] {0.1, 1, 3, 10, 100}) {
            assertThat(FDistribution.survival(f, 2, 10)).isCloseTo(Math.pow(1 + 2 * f / 10, -5), within(1e-12));
        }
        // I_x(a, 1) = x^a: P(F(2, d2) ...) covered above; P(F(d1, 2) > f) = 1 - (d1 f / (2 + d1 f))^(d1 / 2)
        double f = 4.0;
        assertThat(FDistribution.survival(f, 6, 2)).isCloseTo(1 - Math.pow(6 * f / (2 + 6 * f), 3), within(1e-12));
        // 5% critical values from standard F tables
        assertThat(FDistribution.survival(3.33, 5, 10)).isCloseTo(0.05, within(5e-4));
        assertThat(FDistribution.survival(1.93, 10, 100)).isCloseTo(0.05, within(5e-4));
        // large degrees of freedom: F(nu, 15 nu) is about normal, mean ~1, sd sqrt(2 / nu + 2 / (15 nu))
        double nu = 20_000;
        double sd = Math.sqrt(2 / nu + 2 / (15 * nu));
        assertThat(FDistribution.survival(1 + 3.090 * sd, nu, 15 * nu)).isCloseTo(1e-3, within(2e-4));
        assertThat(FDistribution.survival(0, 3, 4)).isEqualTo(1.0);
    }

    @Test
    void logTailStaysFiniteFarBelowTheSmallestDouble() {
        double log = FDistribution.logSurvival(400, 50, 750);
        assertThat(log).isFinite().isLessThan(Math.log(Double.MIN_VALUE));
        // and is monotone in f
        assertThat(FDistribution.logSurvival(500, 50, 750)).isLessThan(log);
    }

    @Test
    void logGammaMatchesFactorials() {
        assertThat(FDistribution.logGamma(1)).isCloseTo(0, within(1e-13));
        assertThat(FDistribution.logGamma(11)).isCloseTo(Math.log(3_628_800), within(1e-12));
        assertThat(FDistribution.logGamma(0.5)).isCloseTo(0.5 * Math.log(Math.PI), within(1e-13));
    }

    @Test
    void binsPoolLatentsByPooledCountUntilTheExpectedCountIsReached() {
        // ratio 0.5: a bin closes at a pooled count of 20; 0 and 1 and 3 are rare, 50 and 40 are bins of their own
        int[] bins = DriftDecision.bins(new int[] {50, 0, 8, 1, 40, 12, 3}, 0.5);
        // ascending: 1(0) 3(1) 6(3) 2(8) 5(12) 4(40) 0(50): 0+1+3+8+12 = 24 >= 20 closes bin 0
        assertThat(bins[1]).isEqualTo(bins[3]).isEqualTo(bins[6]).isEqualTo(bins[2]).isEqualTo(bins[5]).isZero();
        assertThat(bins[4]).isEqualTo(1);
        assertThat(bins[0]).isEqualTo(2);
        // a short last bin joins the one before
        assertThat(DriftDecision.bins(new int[] {6, 6, 6}, 1.0)).containsExactly(0, 0, 0);
    }

    @Test
    void blocksChangeOnlyWhereASequenceStarts() {
        int w = 160; // nominal blocks of 10 tokens
        assertThat(DriftDecision.nextBlock(0, 0, w, false)).isZero();
        assertThat(DriftDecision.nextBlock(0, 12, w, false)).as("inside a sequence").isZero();
        assertThat(DriftDecision.nextBlock(0, 12, w, true)).isEqualTo(1);
        assertThat(DriftDecision.nextBlock(1, 35, w, true)).as("a long sequence leaves block 2 empty").isEqualTo(3);
        assertThat(DriftDecision.nextBlock(5, 0, w, false)).as("a new window").isZero();
    }

    @Test
    void identicalWindowAndBaselineDensitiesGiveStatisticZeroAndNoDrift() {
        int d = 64;
        int[] blockCounts = new int[DriftDecision.BLOCKS * d];
        int[] blockTokens = new int[DriftDecision.BLOCKS];
        int[] baseline = new int[d];
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(3);
        for (int b = 0; b < DriftDecision.BLOCKS; b++) {
            blockTokens[b] = 100;
            for (int i = 0; i < d; i++) {
                int c = rnd.nextInt(20);
                blockCounts[b * d + i] = c;
                baseline[i] += 2 * c; // the baseline has twice the tokens and the same firings per token
            }
        }
        DriftDecision.Result r = DriftDecision.decide(baseline, 3_200, blockCounts, blockTokens, 1e-3, 3);
        assertThat(r.statistic()).isCloseTo(0, within(1e-9));
        assertThat(r.pValue()).isEqualTo(1.0);
        assertThat(r.detected()).isFalse();
        assertThat(r.movers()).hasSize(3);
        assertThat(r.movers().get(0).contribution()).isCloseTo(0, within(1e-9));
    }

    @Test
    void aLatentThatAppearsOnlyInTheWindowIsDetectedAndNamedFirst() {
        int d = 64;
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(4);
        int[] blockCounts = new int[DriftDecision.BLOCKS * d];
        int[] blockTokens = new int[DriftDecision.BLOCKS];
        int[] baseline = new int[d];
        for (int i = 0; i < d; i++) {
            baseline[i] = 150 + rnd.nextInt(100);
        }
        baseline[17] = 0;
        for (int b = 0; b < DriftDecision.BLOCKS; b++) {
            blockTokens[b] = 100;
            for (int i = 0; i < d; i++) {
                blockCounts[b * d + i] = (int) Math.round(baseline[i] / 16.0) + rnd.nextInt(3) - 1;
            }
            blockCounts[b * d + 17] = 30; // fires on 30% of tokens, never in the baseline
        }
        DriftDecision.Result r = DriftDecision.decide(baseline, 1_600, blockCounts, blockTokens, 1e-3, 5);
        assertThat(r.detected()).isTrue();
        assertThat(r.log10PValue()).isLessThan(-10);
        assertThat(r.movers().get(0).id()).isEqualTo(17);
        assertThat(r.movers().get(0).baselineDensity()).isZero();
        assertThat(r.movers().get(0).windowDensity()).isCloseTo(0.3, within(1e-12));
    }

    @Test
    void tooFewTokensOrBlocksGiveNoDecisionAndBadShapesAreRejected() {
        int d = 8;
        int[] counts = new int[DriftDecision.BLOCKS * d];
        int[] tokens = new int[DriftDecision.BLOCKS];
        Arrays.fill(tokens, 1); // 16 tokens < MIN_WINDOW_TOKENS
        assertThat(DriftDecision.decide(new int[d], 10, counts, tokens, 1e-3, 0)).isNull();
        int[] three = new int[DriftDecision.BLOCKS];
        three[0] = 100;
        three[5] = 100;
        three[9] = 100; // 3 non-empty blocks < MIN_BLOCKS
        assertThat(DriftDecision.decide(new int[d], 10, counts, three, 1e-3, 0)).isNull();
        assertThatThrownBy(() -> DriftDecision.decide(new int[d], 10, new int[5], tokens, 1e-3, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blockCounts");
        assertThatThrownBy(() -> DriftDecision.decide(new int[d], 10, counts, tokens, 0, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("falseAlarmRate");
    }
}
