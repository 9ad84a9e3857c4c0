package dev.livesae.engine;

import java.util.Arrays;

/**
 * Gradients of the SAE parameters: W_enc (n, d), b_enc (n), W_dec (n, d), b_pre (d). Only the rows listed in
 * {@code used[0..usedCount)} are non-zero; {@link #clear} zeroes just those.
 */
final class Grads {
  final int n;
  final int d;
  final float[] wEnc;
  final float[] bEnc;
  final float[] wDec;
  final float[] bPre;
  final int[] used;
  int usedCount;
  /** Per latent: squared norm of its W_enc row, W_dec row and b_enc gradients (valid for used rows). */
  final double[] rowNormSq;

  Grads(int n, int d) {
    this.n = n;
    this.d = d;
    wEnc = new float[n * d];
    bEnc = new float[n];
    wDec = new float[n * d];
    bPre = new float[d];
    used = new int[n];
    rowNormSq = new double[n];
  }

  /** Global L2 norm, summed in latent order (deterministic). */
  double norm() {
    double s = 0;
    for (int u = 0; u < usedCount; u++) {
      s += rowNormSq[used[u]];
    }
    for (int c = 0; c < d; c++) {
      s += (double) bPre[c] * bPre[c];
    }
    return Math.sqrt(s);
  }

  void scale(float f) {
    Parallel.forChunks(usedCount, 64, (ch, from, to) -> {
      for (int u = from; u < to; u++) {
        int i = used[u];
        for (int q = i * d; q < (i + 1) * d; q++) {
          wEnc[q] *= f;
          wDec[q] *= f;
        }
        bEnc[i] *= f;
      }
    });
    for (int c = 0; c < d; c++) {
      bPre[c] *= f;
    }
  }

  void clear() {
    for (int u = 0; u < usedCount; u++) {
      int i = used[u];
      Arrays.fill(wEnc, i * d, (i + 1) * d, 0f);
      Arrays.fill(wDec, i * d, (i + 1) * d, 0f);
      bEnc[i] = 0f;
      rowNormSq[i] = 0;
    }
    Arrays.fill(bPre, 0f);
    usedCount = 0;
  }
}
