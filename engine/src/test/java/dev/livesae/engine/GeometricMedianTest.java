package dev.livesae.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class GeometricMedianTest {

  @Test
  void medianOfCollinearPointsIsTheMiddlePointNotTheMean() {
    float[] x = {0, 0, 1, 0, 2, 0, 3, 0, 100, 0};
    float[] med = GeometricMedian.compute(x, 5, 2, 1000, 1e-10);
    assertThat(med[0]).isCloseTo(2f, within(1e-3f));
    assertThat(med[1]).isCloseTo(0f, within(1e-6f));
  }

  @Test
  void resultIsALocalMinimumOfTheSumOfDistancesAndRobustToOutliers() {
    Random rnd = new Random(8);
    int d = 6;
    int rows = 300;
    float[] x = new float[rows * d];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rnd.nextGaussian() + 3f;
    }
    for (int r = 0; r < 30; r++) {
      x[r * d] = 1000f; // outliers
    }
    float[] med = GeometricMedian.compute(x, rows, d, 500, 1e-9);
    double f = GeometricMedian.objective(x, rows, d, med);
    for (int trial = 0; trial < 50; trial++) {
      float[] y = med.clone();
      for (int q = 0; q < d; q++) {
        y[q] += (float) (0.01 * rnd.nextGaussian());
      }
      assertThat(GeometricMedian.objective(x, rows, d, y)).isGreaterThanOrEqualTo(f - 1e-6 * f);
    }
    assertThat(med[0]).isCloseTo(3f, within(0.5f)); // the mean would be near 103
  }
}
