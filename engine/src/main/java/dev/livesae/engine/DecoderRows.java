package dev.livesae.engine;

/** Renormalises decoder rows W_dec (n, d) to unit L2 norm (rows of norm 0 are left alone). */
final class DecoderRows {
  private DecoderRows() {
  }

  static void normalize(float[] wDec, int n, int d) {
    Parallel.forChunks(n, 256, (c, from, to) -> normalizeRange(wDec, d, from, to));
  }

  static void reference(float[] wDec, int n, int d) {
    normalizeRange(wDec, d, 0, n);
  }

  private static void normalizeRange(float[] wDec, int d, int from, int to) {
    for (int i = from; i < to; i++) {
      double s = SparseBackward.sqNorm(wDec, i * d, d);
      if (s > 0) {
        float inv = (float) (1.0 / Math.sqrt(s));
        for (int q = i * d; q < (i + 1) * d; q++) {
          wDec[q] *= inv;
        }
      }
    }
  }
}
