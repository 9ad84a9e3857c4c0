package dev.livesae.engine.synthetic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class SyntheticFeaturesTest {

  @Test
  void sameSeedSameDataAndFeaturesAreUnitWithPowerLawRates() {
    SyntheticFeatures a = new SyntheticFeatures(32, 100, 1.0, 0.05, 0f, 9L);
    SyntheticFeatures b = new SyntheticFeatures(32, 100, 1.0, 0.05, 0f, 9L);
    assertThat(a.next(50)).containsExactly(b.next(50));
    for (int j = 0; j < 100; j++) {
      double s = 0;
      for (float v : a.feature(j)) {
        s += v * v;
      }
      assertThat(s).isCloseTo(1.0, within(1e-5));
    }
    assertThat(a.firingProbability(0)).isGreaterThan(10 * a.firingProbability(99));
    assertThat(a.expectedL0()).isCloseTo(5.0, within(0.5));
  }

  @Test
  void tokensAreBiasPlusActiveFeatures() {
    SyntheticFeatures g = new SyntheticFeatures(16, 1, 0, 1.0, 0f, 1L); // one feature, always on
    float[] x = g.next(2);
    float[] f = g.feature(0);
    double dot = 0;
    for (int q = 0; q < 16; q++) {
      dot += (x[q] - x[16 + q]) * f[q];
    }
    // the difference of two tokens lies along the feature (magnitudes differ)
    double diffNorm = 0;
    for (int q = 0; q < 16; q++) {
      diffNorm += Math.pow(x[q] - x[16 + q], 2);
    }
    assertThat(Math.abs(dot)).isCloseTo(Math.sqrt(diffNorm), within(1e-4));
  }

  @Test
  void rejectsBadParameters() {
    assertThatThrownBy(() -> new SyntheticFeatures(0, 3, 1, 0.1, 0, 1)).hasMessageContaining("d must be");
    assertThatThrownBy(() -> new SyntheticFeatures(4, 3, 1, 1.5, 0, 1)).hasMessageContaining("baseRate");
  }
}
