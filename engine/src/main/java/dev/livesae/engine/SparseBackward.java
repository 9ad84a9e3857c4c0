package dev.livesae.engine;

import java.util.Arrays;

/**
 * Backward pass of a TopK SAE given the upstream gradients of the two decoder outputs:
 * {@code gOut = dL/dx_hat} (B, d) for the main reconstruction ({@code x_hat = b_pre + sum_j z W_dec}) and
 * optionally {@code hOut = dL/de_hat} (B, d) for the AuxK reconstruction ({@code e_hat = sum_j a W_dec}, no bias).
 * Codes: idx/val (B, k) and auxIdx/auxVal (B, kAux), pre-activation {@code pre = W_enc · (x - b_pre) + b_enc}
 * with ReLU; a selected value of 0 carries no gradient.
 * <p>Gradients are formed only for the selected (token, latent) pairs — O(B k d), not O(B n d) — and only
 * for the used rows: entries are bucketed by latent with a stable counting sort, then each latent's rows are
 * summed in token order by one thread, so the result does not depend on scheduling. Each decoder-row
 * gradient then loses its component parallel to the (unit) row. {@link #reference} is the dense version.
 */
final class SparseBackward {
  /**
   * Keys (tokens of one kind) per block: 256 rows of dL/dout and x - b_pre, 1.5 MB at d = 768. Chosen by a
   * sweep at d = 768, n = 24576, k = 32, kAux = 384, B = 4096 (docs/engine.md, AuxK): tiles sized for the
   * 1 MB L2 (64 x 48) gained only ~10%, larger tiles ~25%.
   */
  static final int TOKEN_BLOCK = 256;
  /** Latents per group (one thread's unit); their scratch rows are 9 KB each at d = 768 (4.5 MB a group). */
  static final int LATENT_GROUP = 512;

  private final int tokenBlock;
  private final int latentGroup;
  private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);
  private int[] start = new int[0];
  private int[] order = new int[0];
  /** Row copies of dL/dx_hat, x - b_pre and dL/de_hat, one array per token (see {@link #rowsOf}). */
  private final float[][][] rowCopies = new float[3][][];

  SparseBackward() {
    this(TOKEN_BLOCK, LATENT_GROUP);
  }

  /** Block sizes are a speed choice only: the gradients are bit-identical for any positive values. */
  SparseBackward(int tokenBlock, int latentGroup) {
    if (tokenBlock < 1) {
      throw new IllegalArgumentException("tokenBlock must be >= 1 (got " + tokenBlock + ")");
    }
    if (latentGroup < 1) {
      throw new IllegalArgumentException("latentGroup must be >= 1 (got " + latentGroup + ")");
    }
    this.tokenBlock = tokenBlock;
    this.latentGroup = latentGroup;
  }

  /** Per-thread scratch rows for one latent group, reused across steps. */
  private static final class Scratch {
    float[][] wRow = new float[0][];
    float[][] accDec = new float[0][];
    float[][] accEnc = new float[0][];
    float[] gb = new float[0];
    int[] pos = new int[0];
    float[] tmp = new float[0];

    Scratch ensure(int group, int d) {
      if (wRow.length < group || tmp.length != d) {
        wRow = new float[group][d];
        accDec = new float[group][d];
        accEnc = new float[group][d];
        gb = new float[group];
        pos = new int[group];
        tmp = new float[d];
      }
      return this;
    }
  }

  /**
   * Fills {@code gr}. Work per firing (token, latent) entry: one dot product (dL/dpre) and two row updates
   * (W_dec and W_enc gradients), all against the latent's own scratch rows; latents are taken in groups and
   * their entries in blocks of tokens, so the rows of a block are read by many latents close together. The encoder part of dL/db_pre is {@code -sum_i (dL/db_enc)_i W_enc[i]}, since every entry of
   * latent i contributes {@code -dpre W_enc[i]}.
   */
  void backward(int rows, int d, int n, int k, float[] xc, int[] idx, float[] val, float[] gOut,
                int kAux, int[] auxIdx, float[] auxVal, float[] hOut, float[] wEnc, float[] wDec, Grads gr) {
    final int kA = hOut == null ? 0 : kAux;
    final int mainCount = rows * k;
    final int total = mainCount + rows * kA;
    if (start.length < n + 1) {
      start = new int[n + 1];
    }
    if (order.length < total) {
      order = new int[total];
    }
    // 1. stable counting sort of the firing entries by latent (main entries first, then AuxK, token order)
    int[] st = start;
    Arrays.fill(st, 0, n + 1, 0);
    for (int e = 0; e < mainCount; e++) {
      if (val[e] > 0f) {
        st[idx[e] + 1]++;
      }
    }
    for (int e = 0; e < rows * kA; e++) {
      if (auxVal[e] > 0f) {
        st[auxIdx[e] + 1]++;
      }
    }
    int used = 0;
    for (int i = 0; i < n; i++) {
      if (st[i + 1] > 0) {
        gr.used[used++] = i;
      }
      st[i + 1] += st[i];
    }
    gr.usedCount = used;
    int[] fill = Arrays.copyOf(st, n);
    int[] ord = order;
    for (int e = 0; e < mainCount; e++) {
      if (val[e] > 0f) {
        ord[fill[idx[e]]++] = e;
      }
    }
    for (int e = 0; e < rows * kA; e++) {
      if (auxVal[e] > 0f) {
        ord[fill[auxIdx[e]]++] = mainCount + e;
      }
    }
    // 2. per group of used latents, on threads: dL/dpre per entry, then W_dec, W_enc, b_enc gradients. Each
    // latent's entries are in "key" order (main entries by token, then AuxK entries by token), and the group
    // walks that key range in blocks: per block, every latent of the group takes its entries in the block.
    // The block's source rows (dL/dx_hat or dL/de_hat, and x - b_pre) are then read by several latents while
    // they are still in cache, close together in memory, instead of once per entry from anywhere in the
    // 25 MB of rows (at ~5% density, consecutive entries of one latent are ~60 KB apart). Each latent still sums its own entries
    // in key order, so the result does not depend on the block sizes or the threads. The latent's decoder
    // row, its two gradient accumulators and each entry's source rows sit at offset 0 of scratch rows: C2
    // (JDK 17) vectorises `y[q] += a * x[q]` but not the same loop with two different row offsets, which ran
    // about 7x slower per element (docs/engine.md, AuxK).
    final float[][] gRows = rowsOf(0, gOut, rows, d);
    final float[][] xRows = rowsOf(1, xc, rows, d);
    final float[][] hRows = kA > 0 ? rowsOf(2, hOut, rows, d) : null;
    final int keyEnd = kA > 0 ? 2 * rows : rows;
    final int block = tokenBlock;
    Parallel.forChunks(used, latentGroup, (ch, from, to) -> {
      Scratch sc = scratch.get().ensure(latentGroup, d);
      int m = to - from;
      for (int l = 0; l < m; l++) {
        int i = gr.used[from + l];
        System.arraycopy(wDec, i * d, sc.wRow[l], 0, d);
        Arrays.fill(sc.accDec[l], 0f);
        Arrays.fill(sc.accEnc[l], 0f);
        sc.gb[l] = 0f;
        sc.pos[l] = st[i];
      }
      float[] tmp = sc.tmp;
      for (int b1 = Math.min(keyEnd, block); ; b1 = keyEnd - b1 <= block ? keyEnd : b1 + block) {
        for (int l = 0; l < m; l++) {
          int p = sc.pos[l];
          int end = st[gr.used[from + l] + 1];
          if (p == end) {
            continue;
          }
          float[] wRow = sc.wRow[l];
          float[] accDec = sc.accDec[l];
          float[] accEnc = sc.accEnc[l];
          float gb = sc.gb[l];
          for (; p < end; p++) {
            int e = ord[p];
            int r;
            float z;
            float[] g;
            if (e < mainCount) {
              r = e / k;
              if (r >= b1) {
                break;
              }
              z = val[e];
              g = gRows[r];
            } else {
              r = (e - mainCount) / kA;
              if (rows + r >= b1) {
                break;
              }
              z = auxVal[e - mainCount];
              g = hRows[r];
            }
            float dpre = dotRow(g, wRow, d, tmp);
            axpyRow(z, g, accDec, d);
            if (dpre != 0f) {
              axpyRow(dpre, xRows[r], accEnc, d);
            }
            gb += dpre;
          }
          sc.pos[l] = p;
          sc.gb[l] = gb;
        }
        if (b1 == keyEnd) {
          break;
        }
      }
      for (int l = 0; l < m; l++) {
        int i = gr.used[from + l];
        int w = i * d;
        float gb = sc.gb[l];
        System.arraycopy(sc.accDec[l], 0, gr.wDec, w, d);
        System.arraycopy(sc.accEnc[l], 0, gr.wEnc, w, d);
        gr.bEnc[i] = gb;
        // remove the component parallel to the (unit) decoder row
        float par = dot(gr.wDec, w, wDec, w, d);
        axpy(-par, wDec, w, gr.wDec, w, d);
        gr.rowNormSq[i] = sqNorm(gr.wDec, w, d) + sqNorm(gr.wEnc, w, d) + (double) gb * gb;
      }
    });
    // 3. dL/db_pre = sum_r gOut[r] - sum_i gBEnc[i] W_enc[i]; columns on threads, fixed summation order
    final int usedCount = used;
    Parallel.forChunks(d, 128, (ch, from, to) -> {
      float[] acc = new float[to - from];
      for (int r = 0; r < rows; r++) {
        axpy(1f, gOut, r * d + from, acc, 0, to - from);
      }
      for (int u = 0; u < usedCount; u++) {
        int i = gr.used[u];
        axpy(-gr.bEnc[i], wEnc, i * d + from, acc, 0, to - from);
      }
      System.arraycopy(acc, 0, gr.bPre, from, to - from);
    });
  }

  /**
   * The (rows, d) matrix {@code src} as one array per row, each row at offset 0 (buffers kept in slot
   * {@code slot} and reused). Copying the 3 x B rows once per call replaced two row copies per (token, latent)
   * entry (1.7M entries per step with AuxK at the bench shape): the kernels read each entry's rows in place.
   */
  private float[][] rowsOf(int slot, float[] src, int rows, int d) {
    float[][] m = rowCopies[slot];
    if (m == null || m.length < rows || m[0].length != d) {
      m = new float[rows][d];
      rowCopies[slot] = m;
    }
    final float[][] dst = m;
    Parallel.forChunks(rows, 256, (ch, from, to) -> {
      for (int r = from; r < to; r++) {
        System.arraycopy(src, r * d, dst[r], 0, d);
      }
    });
    return m;
  }

  /** Dot product with four independent partial sums (fixed order, so deterministic). */
  static float dot(float[] a, int ao, float[] b, int bo, int len) {
    float s0 = 0f;
    float s1 = 0f;
    float s2 = 0f;
    float s3 = 0f;
    int q = 0;
    for (; q + 3 < len; q += 4) {
      s0 += a[ao + q] * b[bo + q];
      s1 += a[ao + q + 1] * b[bo + q + 1];
      s2 += a[ao + q + 2] * b[bo + q + 2];
      s3 += a[ao + q + 3] * b[bo + q + 3];
    }
    for (; q < len; q++) {
      s0 += a[ao + q] * b[bo + q];
    }
    return (s0 + s1) + (s2 + s3);
  }

  /**
   * Dot product of two rows at offset 0: elementwise products into tmp (vectorised), then sixteen scalar
   * partial sums over stride-16 lanes, added pairwise. Fixed order, so deterministic. On JDK 17 C2 does not
   * vectorise the halving folds {@code tmp[q] += tmp[q + h]} (an unknown offset), so folding 768 products took
   * ~0.5 ns per element (CPU time) against ~0.22 here and ~0.07 for an axpy: the dot was the backward's main cost.
   */
  static float dotRow(float[] a, float[] b, int len, float[] tmp) {
    for (int q = 0; q < len; q++) {
      tmp[q] = a[q] * b[q];
    }
    float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f, s4 = 0f, s5 = 0f, s6 = 0f, s7 = 0f;
    float s8 = 0f, s9 = 0f, s10 = 0f, s11 = 0f, s12 = 0f, s13 = 0f, s14 = 0f, s15 = 0f;
    int q = 0;
    for (; q + 15 < len; q += 16) {
      s0 += tmp[q];
      s1 += tmp[q + 1];
      s2 += tmp[q + 2];
      s3 += tmp[q + 3];
      s4 += tmp[q + 4];
      s5 += tmp[q + 5];
      s6 += tmp[q + 6];
      s7 += tmp[q + 7];
      s8 += tmp[q + 8];
      s9 += tmp[q + 9];
      s10 += tmp[q + 10];
      s11 += tmp[q + 11];
      s12 += tmp[q + 12];
      s13 += tmp[q + 13];
      s14 += tmp[q + 14];
      s15 += tmp[q + 15];
    }
    for (; q < len; q++) {
      s0 += tmp[q];
    }
    return (((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)))
        + (((s8 + s9) + (s10 + s11)) + ((s12 + s13) + (s14 + s15)));
  }

  /** y[q] += alpha * x[q] for rows at offset 0 (the form C2 vectorises). */
  static void axpyRow(float alpha, float[] x, float[] y, int len) {
    for (int q = 0; q < len; q++) {
      y[q] += alpha * x[q];
    }
  }

  static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int len) {
    if (alpha == 0f) {
      return;
    }
    for (int q = 0; q < len; q++) {
      y[yo + q] += alpha * x[xo + q];
    }
  }

  static double sqNorm(float[] a, int o, int len) {
    double s = 0;
    for (int q = 0; q < len; q++) {
      s += (double) a[o + q] * a[o + q];
    }
    return s;
  }

  /**
   * Dense reference (O(B n d)): full code matrices Z (B, n) and A (B, n), masks from the selections, plain
   * matrix products in double. Fills every gradient row (zeros where unused); {@code gr.used} lists all n.
   */
  static void reference(int rows, int d, int n, int k, float[] xc, int[] idx, float[] val, float[] gOut,
                        int kAux, int[] auxIdx, float[] auxVal, float[] hOut, float[] wEnc, float[] wDec,
                        Grads gr) {
    double[][] z = new double[rows][n];
    double[][] a = new double[rows][n];
    boolean[][] mz = new boolean[rows][n];
    boolean[][] ma = new boolean[rows][n];
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < k; j++) {
        z[r][idx[r * k + j]] = val[r * k + j];
        mz[r][idx[r * k + j]] = val[r * k + j] > 0f;
      }
      for (int j = 0; hOut != null && j < kAux; j++) {
        a[r][auxIdx[r * kAux + j]] = auxVal[r * kAux + j];
        ma[r][auxIdx[r * kAux + j]] = auxVal[r * kAux + j] > 0f;
      }
    }
    double[] gbpre = new double[d];
    for (int i = 0; i < n; i++) {
      double[] gwd = new double[d];
      double[] gwe = new double[d];
      double gbe = 0;
      for (int r = 0; r < rows; r++) {
        double dz = 0;
        double da = 0;
        for (int q = 0; q < d; q++) {
          gwd[q] += z[r][i] * gOut[r * d + q] + (hOut == null ? 0 : a[r][i] * hOut[r * d + q]);
          dz += (double) gOut[r * d + q] * wDec[i * d + q];
          da += hOut == null ? 0 : (double) hOut[r * d + q] * wDec[i * d + q];
        }
        double dpre = (mz[r][i] ? dz : 0) + (ma[r][i] ? da : 0);
        for (int q = 0; q < d; q++) {
          gwe[q] += dpre * xc[r * d + q];
          gbpre[q] -= dpre * wEnc[i * d + q];
        }
        gbe += dpre;
      }
      double par = 0;
      for (int q = 0; q < d; q++) {
        par += gwd[q] * wDec[i * d + q];
      }
      double ns = gbe * gbe;
      for (int q = 0; q < d; q++) {
        gr.wDec[i * d + q] = (float) (gwd[q] - par * wDec[i * d + q]);
        gr.wEnc[i * d + q] = (float) gwe[q];
        ns += (double) gr.wDec[i * d + q] * gr.wDec[i * d + q] + (double) gr.wEnc[i * d + q] * gr.wEnc[i * d + q];
      }
      gr.bEnc[i] = (float) gbe;
      gr.rowNormSq[i] = ns;
      gr.used[i] = i;
    }
    gr.usedCount = n;
    for (int r = 0; r < rows; r++) {
      for (int q = 0; q < d; q++) {
        gbpre[q] += gOut[r * d + q];
      }
    }
    for (int q = 0; q < d; q++) {
      gr.bPre[q] = (float) gbpre[q];
    }
  }
}
