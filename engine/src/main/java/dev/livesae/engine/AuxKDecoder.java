package dev.livesae.engine;

import java.util.Arrays;

/**
 * AuxK decode {@code e_hat[r] = sum_j auxVal[r, j] * W_dec[auxIdx[r, j]]} (no bias), latent-major and blocked.
 * <p>With kAux = d/2 (384 at d = 768) the token-major decode streams B * kAux decoder rows (4.8 GB per step
 * of 4096 tokens) from memory. Here the codes are first grouped by latent (stable counting sort, token order
 * within a latent); then the tokens are cut into blocks whose output rows fit in L2 (~512 KB), and per block
 * every used latent's decoder row is loaded once and added into all of that block's rows that selected it.
 * The output rows are accumulated in one array per token (offset 0, so C2 vectorises the row update), not
 * copied in and out of the flat output per (token, latent) entry; they are copied out once per block.
 * Each output row sums its terms in ascending latent order, whatever the thread count; blocks are fixed by
 * the sizes only and write disjoint rows, so threaded and single-threaded results are bit-identical.
 * {@link SparseDecoder#reference} is the dense reference.
 * <p>Not thread-safe: one instance per trainer.
 */
final class AuxKDecoder {
  private int[] start = new int[0];
  private int[] fill = new int[0];
  private int[] tok = new int[0];
  private float[] coef = new float[0];
  private int[] used = new int[0];
  private int usedCount;
  /** The output as one array per token row (offset 0), accumulated there and copied out once per block. */
  private float[][] outRows = new float[0][];
  /** Copies of the used latents' decoder rows (offset 0), by position in {@code used}; made once per call. */
  private float[][] wRows = new float[0][];

  /** Token rows per block: output block of about 512 KB, at least 16 rows. */
  static int blockRows(int d) {
    return Math.max(16, (1 << 17) / Math.max(1, d));
  }

  /**
   * @param rows   tokens B
   * @param d      width
   * @param n      latents
   * @param kAux   codes per row
   * @param auxIdx (rows, kAux) latent indices
   * @param auxVal (rows, kAux) values; zeros are skipped
   * @param wDec   (n, d) decoder rows
   * @param out    (rows, d) output, overwritten
   */
  void decode(int rows, int d, int n, int kAux, int[] auxIdx, float[] auxVal, float[] wDec, float[] out) {
    group(rows, n, kAux, auxIdx, auxVal);
    final int[] st = start;
    final int[] tk = tok;
    final float[] cf = coef;
    final int[] us = used;
    final int uc = usedCount;
    if (outRows.length < rows || (rows > 0 && outRows[0].length != d)) {
      outRows = new float[rows][d];
    }
    final float[][] o2 = outRows;
    // each used decoder row copied to offset 0 once per call, not once per (block, latent): 24 blocks of
    // 170 rows at B = 4096 would copy ~8,000 dead rows 24 times (590 MB) per step
    if (wRows.length < uc || (uc > 0 && wRows[0].length != d)) {
      wRows = new float[Math.max(uc, Math.min(n, 2 * uc))][d];
    }
    final float[][] w2 = wRows;
    Parallel.forChunks(uc, 256, (ch, from, to) -> {
      for (int u = from; u < to; u++) {
        System.arraycopy(wDec, us[u] * d, w2[u], 0, d);
      }
    });
    Parallel.forChunks(rows, blockRows(d), (ch, from, to) -> {
      for (int r = from; r < to; r++) {
        Arrays.fill(o2[r], 0f);
      }
      for (int u = 0; u < uc; u++) {
        int i = us[u];
        int end = st[i + 1];
        int p = lowerBound(tk, st[i], end, from);
        if (p == end || tk[p] >= to) {
          continue;
        }
        // rows at offset 0: C2 (JDK 17) does not vectorise y[yo + q] += a * x[xo + q]
        float[] wRow = w2[u];
        for (; p < end && tk[p] < to; p++) {
          SparseBackward.axpyRow(cf[p], wRow, o2[tk[p]], d);
        }
      }
      for (int r = from; r < to; r++) {
        System.arraycopy(o2[r], 0, out, r * d, d);
      }
    });
  }

  /** Stable counting sort of the non-zero codes by latent; fills start, tok, coef and the used latents. */
  private void group(int rows, int n, int kAux, int[] auxIdx, float[] auxVal) {
    int total = rows * kAux;
    if (start.length < n + 1) {
      start = new int[n + 1];
      fill = new int[n];
      used = new int[n];
    }
    if (tok.length < total) {
      tok = new int[total];
      coef = new float[total];
    }
    Arrays.fill(start, 0, n + 1, 0);
    for (int e = 0; e < total; e++) {
      if (auxVal[e] != 0f) {
        start[auxIdx[e] + 1]++;
      }
    }
    usedCount = 0;
    for (int i = 0; i < n; i++) {
      if (start[i + 1] > 0) {
        used[usedCount++] = i;
      }
      start[i + 1] += start[i];
    }
    System.arraycopy(start, 0, fill, 0, n);
    for (int e = 0; e < total; e++) {
      float a = auxVal[e];
      if (a != 0f) {
        int p = fill[auxIdx[e]]++;
        tok[p] = e / kAux;
        coef[p] = a;
      }
    }
  }

  /** First position p in [lo, hi) with a[p] &gt;= key (a ascending there), hi if none. */
  private static int lowerBound(int[] a, int lo, int hi, int key) {
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (a[mid] < key) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
}
