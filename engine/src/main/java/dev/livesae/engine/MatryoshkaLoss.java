package dev.livesae.engine;

import java.util.Arrays;

/**
 * The Matryoshka reconstruction loss (Bussmann et al. 2025) and its gradients. The latents are cut into groups
 * by {@code ends} (exclusive, ascending, the last = n); prefix p holds the groups 0..p. With the codes z of a
 * step (already selected, e.g. by BatchTopK) and xc = xs - b_pre:
 * <pre>
 *   e(p)  = xc - sum over firing j with latent &lt; ends[p] of z_j W_dec[j]     (residual of prefix p)
 *   loss  = sum_p ||e(p)||^2 / TV                                           (TV = total variance of the batch)
 * </pre>
 * so the last term is the plain FVU. A latent of group g appears in every prefix p &gt;= g, so its upstream
 * gradient is {@code U(g) = sum_{p >= g} -2 e(p) / TV}: the decoder gradient of a latent differs by group.
 * <p>{@link #backward} runs the {@link SparseBackward} kernel once per group, from the last group to the first,
 * with that group's entries (main and AuxK) and {@code U(g)}; latents of different groups are disjoint rows of
 * {@link Grads}, so the calls fill disjoint rows. The used-latent lists are concatenated in group order (so
 * they stay ascending) and {@code dL/db_pre = sum_r U(0)_r - sum_i (dL/db_enc)_i W_enc[i]} is formed once at the
 * end. Deterministic. {@link #reference} is the dense version in double.
 * <p>Not thread-safe; one per trainer.
 */
final class MatryoshkaLoss {
  private final int[] ends;
  private final SparseBackward kernel;
  private float[] e = new float[0];
  private float[] u = new float[0];
  private float[] valG = new float[0];
  private float[] auxG = new float[0];
  private final int[][] usedByGroup;
  private final int[] usedCountByGroup;

  MatryoshkaLoss(int[] ends, SparseBackward kernel) {
    this.ends = ends.clone();
    this.kernel = kernel;
    this.usedByGroup = new int[ends.length][0];
    this.usedCountByGroup = new int[ends.length];
  }

  int groups() {
    return ends.length;
  }

  private int start(int g) {
    return g == 0 ? 0 : ends[g - 1];
  }

  private void ensure(int rows, int d, int slots, int kAux) {
    if (e.length < rows * d) {
      e = new float[rows * d];
      u = new float[rows * d];
    }
    if (valG.length < rows * slots) {
      valG = new float[rows * slots];
    }
    if (auxG.length < rows * kAux) {
      auxG = new float[rows * kAux];
    }
  }

  /**
   * The summed prefix losses. {@code resid} (rows, d) is the full dictionary's residual e(last) = xs - x_hat;
   * {@code prefixFvu}, if not null, receives each prefix's ||e(p)||^2 / TV.
   */
  double loss(int rows, int d, int slots, int[] idx, float[] val, float[] wDec, float[] resid, double tv,
              double[] prefixFvu) {
    ensure(rows, d, slots, 0);
    System.arraycopy(resid, 0, e, 0, rows * d);
    double total = 0;
    for (int g = ends.length - 1; g >= 0; g--) {
      double sq = 0;
      for (int q = 0; q < rows * d; q++) {
        sq += (double) e[q] * e[q];
      }
      if (prefixFvu != null) {
        prefixFvu[g] = sq / tv;
      }
      total += sq / tv;
      if (g > 0) {
        addGroup(rows, d, slots, idx, val, wDec, start(g), ends[g], e);
      }
    }
    return total;
  }

  /** e[r] += sum of z W_dec over row r's firing entries with latent in [lo, hi). Rows on threads. */
  static void addGroup(int rows, int d, int slots, int[] idx, float[] val, float[] wDec, int lo, int hi,
                       float[] out) {
    Parallel.forChunks(rows, 16, (c, from, to) -> {
      for (int r = from; r < to; r++) {
        for (int j = r * slots; j < (r + 1) * slots; j++) {
          int i = idx[j];
          if (val[j] > 0f && i >= lo && i < hi) {
            SparseBackward.axpy(val[j], wDec, i * d, out, r * d, d);
          }
        }
      }
    });
  }

  /**
   * Fills {@code gr} with the gradients of {@code loss} plus, when {@code hOut} is given, of the AuxK term
   * whose upstream gradient is {@code hOut} (as in {@link SparseBackward#backward}).
   */
  void backward(int rows, int d, int n, int slots, float[] xc, int[] idx, float[] val, float[] resid, double tv,
                int kAux, int[] auxIdx, float[] auxVal, float[] hOut, float[] wEnc, float[] wDec, Grads gr) {
    int kA = hOut == null ? 0 : kAux;
    ensure(rows, d, slots, kA);
    System.arraycopy(resid, 0, e, 0, rows * d);
    Arrays.fill(u, 0, rows * d, 0f);
    float coef = (float) (-2.0 / tv);
    for (int g = ends.length - 1; g >= 0; g--) {
      for (int q = 0; q < rows * d; q++) {
        u[q] += coef * e[q];
      }
      int lo = start(g);
      int hi = ends[g];
      for (int j = 0; j < rows * slots; j++) {
        valG[j] = idx[j] >= lo && idx[j] < hi ? val[j] : 0f;
      }
      for (int j = 0; j < rows * kA; j++) {
        auxG[j] = auxIdx[j] >= lo && auxIdx[j] < hi ? auxVal[j] : 0f;
      }
      kernel.backward(rows, d, n, slots, xc, idx, valG, u, kA, auxIdx, kA > 0 ? auxG : null, kA > 0 ? hOut : null,
          wEnc, wDec, gr);
      if (usedByGroup[g].length < gr.usedCount) {
        usedByGroup[g] = new int[gr.usedCount];
      }
      System.arraycopy(gr.used, 0, usedByGroup[g], 0, gr.usedCount);
      usedCountByGroup[g] = gr.usedCount;
      if (g > 0) {
        addGroup(rows, d, slots, idx, val, wDec, lo, hi, e);
      }
    }
    int used = 0;
    for (int g = 0; g < ends.length; g++) {
      System.arraycopy(usedByGroup[g], 0, gr.used, used, usedCountByGroup[g]);
      used += usedCountByGroup[g];
    }
    gr.usedCount = used;
    // dL/db_pre = sum_r U(0)_r - sum_i gBEnc[i] W_enc[i] (u now holds U(0)); columns on threads, fixed order
    final int usedCount = used;
    Parallel.forChunks(d, 128, (ch, from, to) -> {
      float[] acc = new float[to - from];
      for (int r = 0; r < rows; r++) {
        SparseBackward.axpy(1f, u, r * d + from, acc, 0, to - from);
      }
      for (int k = 0; k < usedCount; k++) {
        int i = gr.used[k];
        SparseBackward.axpy(-gr.bEnc[i], wEnc, i * d + from, acc, 0, to - from);
      }
      System.arraycopy(acc, 0, gr.bPre, from, to - from);
    });
  }

  /**
   * Dense reference in double, straight from the definition above (no AuxK): residuals of every prefix, the
   * upstream gradient of each prefix loss, then the chain rule through the decoder and the encoder (a selected
   * entry with value &gt; 0 passes the gradient of its pre-activation). Decoder-row gradients lose their
   * component along the (unit) row, as in training. Fills every row; {@code gr.used} lists all n.
   */
  static void reference(int rows, int d, int n, int slots, float[] xc, int[] idx, float[] val, int[] ends,
                        double tv, float[] wEnc, float[] wDec, Grads gr) {
    int groups = ends.length;
    double[][][] resid = new double[groups][rows][d];
    for (int p = 0; p < groups; p++) {
      for (int r = 0; r < rows; r++) {
        for (int q = 0; q < d; q++) {
          resid[p][r][q] = xc[r * d + q];
        }
        for (int j = r * slots; j < (r + 1) * slots; j++) {
          if (val[j] > 0f && idx[j] < ends[p]) {
            for (int q = 0; q < d; q++) {
              resid[p][r][q] -= (double) val[j] * wDec[idx[j] * d + q];
            }
          }
        }
      }
    }
    double[][] gwd = new double[n][d];
    double[][] gwe = new double[n][d];
    double[] gbe = new double[n];
    double[] gbp = new double[d];
    for (int p = 0; p < groups; p++) {
      for (int r = 0; r < rows; r++) {
        for (int q = 0; q < d; q++) {
          gbp[q] += -2 * resid[p][r][q] / tv; // the decoder bias is in every prefix's reconstruction
        }
        for (int j = r * slots; j < (r + 1) * slots; j++) {
          int i = idx[j];
          if (!(val[j] > 0f) || i >= ends[p]) {
            continue;
          }
          double dpre = 0;
          for (int q = 0; q < d; q++) {
            double up = -2 * resid[p][r][q] / tv;
            gwd[i][q] += val[j] * up;
            dpre += up * wDec[i * d + q];
          }
          gbe[i] += dpre;
          for (int q = 0; q < d; q++) {
            gwe[i][q] += dpre * xc[r * d + q];
            gbp[q] -= dpre * wEnc[i * d + q]; // xc = xs - b_pre
          }
        }
      }
    }
    for (int i = 0; i < n; i++) {
      double par = 0;
      for (int q = 0; q < d; q++) {
        par += gwd[i][q] * wDec[i * d + q];
      }
      double ns = gbe[i] * gbe[i];
      for (int q = 0; q < d; q++) {
        gr.wDec[i * d + q] = (float) (gwd[i][q] - par * wDec[i * d + q]);
        gr.wEnc[i * d + q] = (float) gwe[i][q];
        ns += (double) gr.wDec[i * d + q] * gr.wDec[i * d + q] + (double) gr.wEnc[i * d + q] * gr.wEnc[i * d + q];
      }
      gr.bEnc[i] = (float) gbe[i];
      gr.rowNormSq[i] = ns;
      gr.used[i] = i;
    }
    gr.usedCount = n;
    for (int q = 0; q < d; q++) {
      gr.bPre[q] = (float) gbp[q];
    }
  }
}
