package dev.livesae.engine;

/**
 * Decoder of a TopK SAE: {@code out[r] = bias + sum_j values[r, j] * W_dec[indices[r, j]]}.
 * Shapes: indices/values (B, k), W_dec (n, d) unit rows, bias (d) or null, out (B, d). O(B k d).
 * The fast path runs rows on two threads and skips zero values; {@link #reference} multiplies a dense code.
 */
final class SparseDecoder {
  private SparseDecoder() {
  }

  static void decode(int rows, int d, int k, int[] idx, float[] val, float[] wDec, float[] bias, float[] out) {
    Parallel.forChunks(rows, 16, (c, from, to) -> {
      for (int r = from; r < to; r++) {
        int o = r * d;
        if (bias != null) {
          System.arraycopy(bias, 0, out, o, d);
        } else {
          java.util.Arrays.fill(out, o, o + d, 0f);
        }
        for (int j = 0; j < k; j++) {
          float z = val[r * k + j];
          if (z == 0f) {
            continue;
          }
          int w = idx[r * k + j] * d;
          for (int q = 0; q < d; q++) {
            out[o + q] += z * wDec[w + q];
          }
        }
      }
    });
  }

  /** Dense reference: build the full code vector z (n) per row, then out = bias + z · W_dec. */
  static void reference(int rows, int d, int n, int k, int[] idx, float[] val, float[] wDec, float[] bias,
                        float[] out) {
    float[] z = new float[n];
    for (int r = 0; r < rows; r++) {
      java.util.Arrays.fill(z, 0f);
      for (int j = 0; j < k; j++) {
        z[idx[r * k + j]] += val[r * k + j];
      }
      for (int q = 0; q < d; q++) {
        float s = bias == null ? 0f : bias[q];
        for (int i = 0; i < n; i++) {
          s += z[i] * wDec[i * d + q];
        }
        out[r * d + q] = s;
      }
    }
  }
}
