package dev.livesae.engine;

/**
 * Dead-latent resampling (Anthropic, "Towards Monosemanticity", 2023): for each dead latent, draw one input
 * of the batch with probability proportional to its squared reconstruction error; the decoder row becomes
 * that centred input (x - b_pre) normalised to unit length, the encoder row the same direction scaled to
 * 0.2 x the mean encoder-row norm of the alive latents, the encoder bias 0, and the Adam moments of those
 * parameters are reset. Latents are visited in ascending order, draws come from the trainer's {@link Rng}.
 */
final class DeadLatentResampler {
  private DeadLatentResampler() {
  }

  /**
   * @param xc       centred inputs (rows, d)
   * @param sqErr    squared reconstruction error per row
   * @param dead     dead[i] true for latents to resample
   * @return the number of latents resampled
   */
  static int resample(float[] xc, float[] sqErr, int rows, boolean[] dead, SaeState s, Rng rng) {
    int n = s.n;
    int d = s.d;
    double aliveNorm = 0;
    int alive = 0;
    for (int i = 0; i < n; i++) {
      if (!dead[i]) {
        aliveNorm += Math.sqrt(SparseBackward.sqNorm(s.wEnc, i * d, d));
        alive++;
      }
    }
    double encNorm = 0.2 * (alive > 0 ? aliveNorm / alive : 1.0);
    double[] cum = new double[rows];
    double total = 0;
    for (int r = 0; r < rows; r++) {
      double e = sqErr[r];
      total += (Double.isFinite(e) && e > 0) ? e : 0;
      cum[r] = total;
    }
    if (!(total > 0)) {
      return 0;
    }
    int count = 0;
    for (int i = 0; i < n; i++) {
      if (!dead[i]) {
        continue;
      }
      double u = rng.nextDouble() * total;
      int lo = 0;
      int hi = rows - 1;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (cum[mid] > u) {
          hi = mid;
        } else {
          lo = mid + 1;
        }
      }
      int r = lo;
      double norm = Math.sqrt(SparseBackward.sqNorm(xc, r * d, d));
      if (!(norm > 0)) {
        continue;
      }
      for (int q = 0; q < d; q++) {
        float unit = (float) (xc[r * d + q] / norm);
        s.wDec[i * d + q] = unit;
        s.wEnc[i * d + q] = (float) (unit * encNorm);
      }
      s.bEnc[i] = 0f;
      java.util.Arrays.fill(s.mWEnc, i * d, (i + 1) * d, 0f);
      java.util.Arrays.fill(s.vWEnc, i * d, (i + 1) * d, 0f);
      java.util.Arrays.fill(s.mWDec, i * d, (i + 1) * d, 0f);
      java.util.Arrays.fill(s.vWDec, i * d, (i + 1) * d, 0f);
      s.mBEnc[i] = 0f;
      s.vBEnc[i] = 0f;
      s.tokensSinceFired[i] = 0;
      count++;
    }
    return count;
  }
}
