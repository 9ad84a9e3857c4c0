package dev.livesae.engine;

import java.util.Arrays;

/**
 * Dead-latent resampling (Anthropic, "Towards Monosemanticity", 2023). The candidates are the inputs of a
 * {@link ResampleReservoir} (a uniform sample of everything trained on since the last resampling, not just
 * the current batch). Each candidate's loss is computed with the current model, {@code L_r = ||x_r - x_hat_r||^2},
 * and the dead latents, in ascending order, receive distinct candidates drawn with probability proportional to
 * {@code L_r^2} (weighted sampling without replacement, Efraimidis-Spirakis keys {@code ln(u) / L_r^2}; without
 * replacement so that no two latents start identical and one shadows the other). For a latent i given input r:
 * the decoder row becomes the centred input {@code (x_r - b_pre) / ||x_r - b_pre||}, the encoder row the same
 * direction scaled to 0.2 x the mean encoder-row norm of the alive latents, the encoder bias 0, and the Adam
 * moments of those parameters are reset. The firing clock is not reset: the latent counts as dead (and AuxK keeps
 * training it towards the residual) until it fires in a top-k; with TopK, a row at 0.2 x the alive norm rarely
 * makes the top k at once, and a reset clock would leave it without any gradient for the dead threshold (measured
 * in docs/engine.md). Draws come from the trainer's resampler {@link Rng}.
 */
final class DeadLatentResampler {
  private DeadLatentResampler() {
  }

  /**
   * @param reservoir candidate inputs, internal units
   * @param dead      dead[i] true for latents to resample
   * @return the number of latents resampled (fewer than the dead ones only when the reservoir holds fewer
   *         inputs with a non-zero loss)
   */
  static int resample(ResampleReservoir reservoir, int k, boolean[] dead, SaeState s, Rng rng, boolean fast) {
    int n = s.n;
    int d = s.d;
    int rows = reservoir.size();
    int deadCount = 0;
    double aliveNorm = 0;
    int alive = 0;
    for (int i = 0; i < n; i++) {
      if (dead[i]) {
        deadCount++;
      } else {
        aliveNorm += Math.sqrt(SparseBackward.sqNorm(s.wEnc, i * d, d));
        alive++;
      }
    }
    if (deadCount == 0 || rows == 0) {
      return 0;
    }
    double encNorm = 0.2 * (alive > 0 ? aliveNorm / alive : 1.0);
    float[] x = Arrays.copyOf(reservoir.rows(), rows * d);
    float[] loss = new Sae(d, n, k, s.wEnc, s.bEnc, s.wDec, s.bPre, fast).encode(x, rows).reconError();
    double maxLoss = 0;
    for (float l : loss) {
      if (Float.isFinite(l)) {
        maxLoss = Math.max(maxLoss, l);
      }
    }
    if (!(maxLoss > 0)) {
      return 0;
    }
    // weighted sampling without replacement: the rows with the largest ln(u) / w win, w = (L / max L)^2
    int candidates = 0;
    int[] order = new int[rows];
    double[] key = new double[rows];
    for (int r = 0; r < rows; r++) {
      double u = 1.0 - rng.nextDouble();
      double w = loss[r] / maxLoss;
      w *= w;
      if (Float.isFinite(loss[r]) && w > 0) {
        key[r] = Math.log(u) / w;
        order[candidates++] = r;
      }
    }
    Integer[] sorted = new Integer[candidates];
    for (int c = 0; c < candidates; c++) {
      sorted[c] = order[c];
    }
    Arrays.sort(sorted, (a, b) -> a.equals(b) ? 0 : key[a] != key[b] ? Double.compare(key[b], key[a]) : a - b);
    int count = 0;
    int next = 0;
    float[] xc = new float[d];
    for (int i = 0; i < n && next < candidates; i++) {
      if (!dead[i]) {
        continue;
      }
      int r = sorted[next++];
      double norm = 0;
      for (int q = 0; q < d; q++) {
        xc[q] = x[r * d + q] - s.bPre[q];
        norm += (double) xc[q] * xc[q];
      }
      norm = Math.sqrt(norm);
      if (!(norm > 0)) {
        continue;
      }
      for (int q = 0; q < d; q++) {
        float unit = (float) (xc[q] / norm);
        s.wDec[i * d + q] = unit;
        s.wEnc[i * d + q] = (float) (unit * encNorm);
      }
      s.bEnc[i] = 0f;
      Arrays.fill(s.mWEnc, i * d, (i + 1) * d, 0f);
      Arrays.fill(s.vWEnc, i * d, (i + 1) * d, 0f);
      Arrays.fill(s.mWDec, i * d, (i + 1) * d, 0f);
      Arrays.fill(s.vWDec, i * d, (i + 1) * d, 0f);
      s.mBEnc[i] = 0f;
      s.vBEnc[i] = 0f;
      count++;
    }
    return count;
  }
}
