package dev.livesae.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class DriftMathTest {

    @Test
    void smoothsCountsWithHalfPseudoCount() {
        // (c + 0.5) / (10 + 0.5 * 4) = (c + 0.5) / 12
        assertThat(DriftMath.smoothed(new int[] {6, 3, 1, 0}, 0.5))
                .containsExactly(6.5 / 12, 3.5 / 12, 1.5 / 12, 0.5 / 12);
    }

    @Test
    void psiAndJsMatchHandComputedExample() {
        // p = (6.5, 3.5, 1.5, 0.5)/12, q = (2.5, 2.5, 4.5, 2.5)/12
        // PSI = -4/12 ln(2.5/6.5) - 1/12 ln(2.5/3.5) + 3/12 ln 3 + 2/12 ln 5
        double psi = -4.0 / 12 * Math.log(2.5 / 6.5) - 1.0 / 12 * Math.log(2.5 / 3.5)
                + 3.0 / 12 * Math.log(3) + 2.0 / 12 * Math.log(5);
        DriftMath.Scores s = DriftMath.compare(new int[] {6, 3, 1, 0}, new int[] {2, 2, 4, 2});
        assertThat(psi).isCloseTo(0.8894358923002906, within(1e-15));
        assertThat(s.psi()).isCloseTo(0.8894358923002906, within(1e-12));
        assertThat(s.jsBits()).isCloseTo(0.1513085350228299, within(1e-12));
    }

    @Test
    void identicalCountsHaveNoDrift() {
        DriftMath.Scores s = DriftMath.compare(new int[] {5, 0, 7}, new int[] {5, 0, 7});
        assertThat(s.psi()).isZero();
        assertThat(s.jsBits()).isCloseTo(0.0, within(1e-15));
    }

    @Test
    void jsIsAtMostOneBitForDisjointDistributions() {
        assertThat(DriftMath.jsBits(new double[] {1, 0}, new double[] {0, 1})).isCloseTo(1.0, within(1e-15));
    }

    @Test
    void rejectsCountVectorsOfDifferentLength() {
        assertThatThrownBy(() -> DriftMath.compare(new int[3], new int[4]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("d_sae=3");
    }

    @Test
    void rejectsNegativeCount() {
        assertThatThrownBy(() -> DriftMath.smoothed(new int[] {1, -2}, 0.5))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("counts[1]");
    }
}
