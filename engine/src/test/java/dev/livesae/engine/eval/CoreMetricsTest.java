package dev.livesae.engine.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CoreMetricsTest {

  @Test
  void perfectReconstructionScoresOneEverywhere() {
    int d = 3;
    float[] x = {1, 2, 3, -1, 0, 2, 4, 1, -2};
    CoreMetrics m = new CoreMetrics(d, 4);
    m.add(x, x.clone(), 3, new int[] {0, 1, 2, 3, 0, 1}, new float[] {1, 2, 0.5f, 0, 1, 0}, 2);
    CoreMetrics.Result r = m.result(null, null);
    assertEquals(1.0, r.explainedVariance(), 1e-12);
    assertEquals(0.0, r.mse(), 0);
    assertEquals(1.0, r.cossim(), 1e-12);
    assertEquals(1.0, r.l2Ratio(), 1e-12);
    assertEquals(1.0, r.relativeReconstructionBias(), 1e-12);
    assertEquals(4.0 / 3, r.l0(), 1e-12, "five slots but one holds 0: four firings over three rows");
    assertEquals((1 + 2 + 0.5 + 1) / 3.0, r.l1(), 1e-12);
    assertEquals(0.75, r.fracAlive(), 1e-12, "latents 0, 1, 2 fired; latent 3's only slot holds 0");
    assertTrue(Double.isNaN(r.averageMaxDecoderCosineSim()));
  }

  @Test
  void halvedReconstructionShowsShrinkage() {
    int d = 4;
    int rows = 50;
    SplittableRandom rng = new SplittableRandom(7);
    float[] x = new float[rows * d];
    float[] xhat = new float[rows * d];
    double sumSq = 0;
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (rng.nextDouble() * 2 - 1);
      xhat[i] = 0.5f * x[i];
      sumSq += (double) x[i] * x[i];
    }
    CoreMetrics m = new CoreMetrics(d, 2);
    m.add(x, xhat, rows, new int[rows], new float[rows], 1);
    CoreMetrics.Result r = m.result(null, null);
    assertEquals(1.0, r.cossim(), 1e-9);
    assertEquals(0.5, r.l2Ratio(), 1e-9);
    assertEquals(0.5, r.relativeReconstructionBias(), 1e-9);
    assertEquals(0.25 * sumSq / (rows * d), r.mse(), 1e-9);
    double totalVariance = 0;
    for (int j = 0; j < d; j++) {
      double mean = 0;
      double sq = 0;
      for (int row = 0; row < rows; row++) {
        mean += x[row * d + j] / (double) rows;
        sq += (double) x[row * d + j] * x[row * d + j] / rows;
      }
      totalVariance += sq - mean * mean;
    }
    // residual is x/2: its mean square is a quarter of x's (x has a small non-zero sample mean, so a bit more
    // than a quarter of the variance is left)
    assertEquals(1 - 0.25 * sumSq / rows / totalVariance, r.explainedVariance(), 1e-9);
    assertEquals(0.75, r.explainedVariance(), 0.01);
    assertEquals(0.0, r.l0(), 0, "all code values are 0");
    assertEquals(0.0, r.fracAlive(), 0);
  }

  @Test
  void explainedVarianceMatchesBruteForceOnNoisyReconstruction() {
    int d = 5;
    int rows = 200;
    SplittableRandom rng = new SplittableRandom(11);
    float[] x = new float[rows * d];
    float[] xhat = new float[rows * d];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (3 + rng.nextGaussian() * (1 + i % d));
      xhat[i] = x[i] + (float) (0.3 * rng.nextGaussian());
    }
    CoreMetrics m = new CoreMetrics(d, 1);
    // two calls: accumulation across batches must equal one pass
    m.add(x, xhat, 120, new int[120], new float[120], 1);
    float[] x2 = java.util.Arrays.copyOfRange(x, 120 * d, rows * d);
    float[] h2 = java.util.Arrays.copyOfRange(xhat, 120 * d, rows * d);
    m.add(x2, h2, 80, new int[80], new float[80], 1);
    double tv = 0;
    double rv = 0;
    for (int j = 0; j < d; j++) {
      double mx = 0;
      for (int r = 0; r < rows; r++) {
        mx += x[r * d + j];
      }
      mx /= rows;
      for (int r = 0; r < rows; r++) {
        tv += Math.pow(x[r * d + j] - mx, 2);
        rv += Math.pow(x[r * d + j] - xhat[r * d + j], 2); // the residual is not centred: 1 - FVU
      }
    }
    assertEquals(1 - rv / tv, m.result(null, null).explainedVariance(), 1e-9);
    assertEquals(200, m.rows());
  }

  @Test
  void aConstantOffsetOfTheReconstructionIsUnexplainedVariance() {
    int d = 2;
    float[] x = {0, 0, 2, 0, 0, 2, 2, 2};
    float[] shifted = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      shifted[i] = x[i] + 1f; // perfect up to a constant: a centred residual would call this 100 % explained
    }
    CoreMetrics m = new CoreMetrics(d, 1);
    m.add(x, shifted, 4, new int[4], new float[4], 1);
    // total variance 1 + 1 per row; squared residual 1 + 1 per row
    assertEquals(0.0, m.result(null, null).explainedVariance(), 1e-12);
  }

  @Test
  void densityFractionsCountLatentsAboveOneAndTenPercent() {
    int rows = 1000;
    int dSae = 4;
    int[] idx = new int[rows];
    float[] val = new float[rows];
    for (int r = 0; r < rows; r++) {
      // latent 0 fires on 50% of rows, latent 1 on 5%, latent 2 on 0.5%, latent 3 never
      idx[r] = r % 2 == 0 ? 0 : (r % 20 == 1 ? 1 : (r % 200 == 3 ? 2 : 3));
      val[r] = idx[r] == 3 ? 0f : 1f;
    }
    CoreMetrics m = new CoreMetrics(1, dSae);
    float[] x = new float[rows];
    java.util.Arrays.fill(x, 1f);
    m.add(x, x.clone(), rows, idx, val, 1);
    CoreMetrics.Result r = m.result(null, null);
    assertEquals(0.75, r.fracAlive(), 0);
    assertEquals(0.50, r.freqOver1Percent(), 0);
    assertEquals(0.25, r.freqOver10Percent(), 0);
  }

  @Test
  void averageMaxCosineFindsDuplicatesAndMatchesBruteForceAcrossBlocks() {
    assertEquals(2.0 / 3, CoreMetrics.averageMaxCosine(new float[] {1, 0, 2, 0, 0, 3}, 3, 2), 1e-6,
        "rows 0 and 1 are parallel (cosine 1), row 2 is orthogonal to both");
    int n = 3000; // more than one block of rows: (1 << 22) / 3000 = 1398
    int d = 16;
    SplittableRandom rng = new SplittableRandom(3);
    float[] w = new float[n * d];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) rng.nextGaussian();
    }
    double want = 0;
    for (int i = 0; i < n; i++) {
      double best = -1;
      for (int j = 0; j < n; j++) {
        if (j != i) {
          double dot = 0;
          double ni = 0;
          double nj = 0;
          for (int q = 0; q < d; q++) {
            dot += (double) w[i * d + q] * w[j * d + q];
            ni += (double) w[i * d + q] * w[i * d + q];
            nj += (double) w[j * d + q] * w[j * d + q];
          }
          best = Math.max(best, dot / Math.sqrt(ni * nj));
        }
      }
      want += Math.max(0, best);
    }
    assertEquals(want / n, CoreMetrics.averageMaxCosine(w, n, d), 1e-5);
  }

  @Test
  void rejectsEmptyResultsAndOutOfRangeLatents() {
    CoreMetrics m = new CoreMetrics(2, 3);
    assertThrows(IllegalStateException.class, () -> m.result(null, null));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> m.add(new float[2], new float[2], 1, new int[] {5}, new float[] {1f}, 1));
    assertTrue(e.getMessage().contains("5"), e.getMessage());
  }
}
