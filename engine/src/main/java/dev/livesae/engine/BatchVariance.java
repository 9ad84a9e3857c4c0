package dev.livesae.engine;

/** Total variance of a batch: {@code sum_r ||x_r - mean(x)||^2}, in double, summed in row order (deterministic). */
final class BatchVariance {
  private BatchVariance() {
  }

  /** For a row-major (rows, d) batch. */
  static double of(float[] x, int rows, int d) {
    double[] mean = new double[d];
    for (int r = 0; r < rows; r++) {
      for (int q = 0, o = r * d; q < d; q++) {
        mean[q] += x[o + q];
      }
    }
    for (int q = 0; q < d; q++) {
      mean[q] /= rows;
    }
    double v = 0;
    for (int r = 0; r < rows; r++) {
      for (int q = 0, o = r * d; q < d; q++) {
        double t = x[o + q] - mean[q];
        v += t * t;
      }
    }
    return v;
  }
}
