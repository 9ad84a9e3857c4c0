package dev.livesae.engine;

/**
 * Geometric median of rows (B, d) by Weiszfeld's iteration in double precision, starting at the mean:
 * {@code y <- sum_i x_i / ||x_i - y|| / sum_i 1 / ||x_i - y||}, distances floored at 1e-12 relative to the
 * data scale, stopping when the step is below {@code tol} times the data scale or after maxIter.
 * Summation runs in row order (deterministic).
 */
final class GeometricMedian {
  private GeometricMedian() {
  }

  static float[] compute(float[] x, int rows, int d, int maxIter, double tol) {
    if (rows < 1) {
      throw new IllegalArgumentException("rows must be >= 1 (got " + rows + ")");
    }
    double[] y = new double[d];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < d; c++) {
        y[c] += x[r * d + c];
      }
    }
    for (int c = 0; c < d; c++) {
      y[c] /= rows;
    }
    double scale = 0;
    for (int r = 0; r < rows; r++) {
      scale = Math.max(scale, Math.sqrt(distSq(x, r * d, y, d)));
    }
    double floor = Math.max(1e-12 * scale, Double.MIN_NORMAL);
    double[] num = new double[d];
    for (int it = 0; it < maxIter; it++) {
      java.util.Arrays.fill(num, 0);
      double den = 0;
      for (int r = 0; r < rows; r++) {
        double w = 1.0 / Math.max(Math.sqrt(distSq(x, r * d, y, d)), floor);
        for (int c = 0; c < d; c++) {
          num[c] += w * x[r * d + c];
        }
        den += w;
      }
      double move = 0;
      for (int c = 0; c < d; c++) {
        double ny = num[c] / den;
        move += (ny - y[c]) * (ny - y[c]);
        y[c] = ny;
      }
      if (Math.sqrt(move) <= tol * scale) {
        break;
      }
    }
    float[] out = new float[d];
    for (int c = 0; c < d; c++) {
      out[c] = (float) y[c];
    }
    return out;
  }

  /** The objective sum_i ||x_i - y||, for checking. */
  static double objective(float[] x, int rows, int d, float[] y) {
    double[] yd = new double[d];
    for (int c = 0; c < d; c++) {
      yd[c] = y[c];
    }
    double s = 0;
    for (int r = 0; r < rows; r++) {
      s += Math.sqrt(distSq(x, r * d, yd, d));
    }
    return s;
  }

  private static double distSq(float[] x, int o, double[] y, int d) {
    double s = 0;
    for (int c = 0; c < d; c++) {
      double t = x[o + c] - y[c];
      s += t * t;
    }
    return s;
  }
}
