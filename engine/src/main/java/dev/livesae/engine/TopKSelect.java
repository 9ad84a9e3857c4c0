package dev.livesae.engine;

import java.util.Arrays;

/**
 * Top-k of ReLU(pre + bias) over one row without sorting all n latents: a size-k min-heap scanned once,
 * most candidates rejected by one comparison with the heap's minimum. Order of the output: value
 * descending, ties by lower index. {@link #reference} does the same by sorting all candidates.
 * <p>Not thread-safe: one instance per thread.
 */
final class TopKSelect {
  private final float[] hv;
  private final int[] hi;
  private int size;
  private float thr;

  TopKSelect(int capacity) {
    hv = new float[capacity];
    hi = new int[capacity];
  }

  /** Candidates are all latents 0..n-1 with value max(0, pre[preOff + i] + bias[i]). */
  void selectAll(float[] pre, int preOff, float[] bias, int n, int k, int[] outIdx, float[] outVal, int outOff) {
    size = 0;
    thr = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      offer(pre[preOff + i] + bias[i], i, k);
    }
    emit(size, outIdx, outVal, outOff);
  }

  /** Candidates are the latents in {@code candidates[0..count)} (ascending), values as in selectAll. */
  void selectAmong(float[] pre, int preOff, float[] bias, int[] candidates, int count, int k,
                   int[] outIdx, float[] outVal, int outOff) {
    size = 0;
    thr = Float.NEGATIVE_INFINITY;
    for (int c = 0; c < count; c++) {
      int i = candidates[c];
      offer(pre[preOff + i] + bias[i], i, k);
    }
    emit(size, outIdx, outVal, outOff);
  }

  /** Candidates come in ascending index order, so on equal values the one already held wins. */
  private void offer(float raw, int i, int k) {
    float v = raw > 0f ? raw : 0f; // ReLU; also maps -0.0 and NaN to +0.0 so fast path and reference agree
    if (size < k) {
      push(size++, v, i);
      thr = hv[0];
    } else if (v > thr) {
      replaceTop(k, v, i);
      thr = hv[0];
    }
  }

  /** a is worse than b: smaller value, or equal value and larger index. */
  private static boolean worse(float va, int ia, float vb, int ib) {
    return va < vb || (va == vb && ia > ib);
  }

  private void push(int pos, float v, int i) {
    while (pos > 0) {
      int parent = (pos - 1) >>> 1;
      if (!worse(v, i, hv[parent], hi[parent])) {
        break;
      }
      hv[pos] = hv[parent];
      hi[pos] = hi[parent];
      pos = parent;
    }
    hv[pos] = v;
    hi[pos] = i;
  }

  private void replaceTop(int size, float v, int i) {
    int pos = 0;
    while (true) {
      int l = 2 * pos + 1;
      if (l >= size) {
        break;
      }
      int r = l + 1;
      int m = (r < size && worse(hv[r], hi[r], hv[l], hi[l])) ? r : l;
      if (!worse(hv[m], hi[m], v, i)) {
        break;
      }
      hv[pos] = hv[m];
      hi[pos] = hi[m];
      pos = m;
    }
    hv[pos] = v;
    hi[pos] = i;
  }

  /** Pops the heap (worst first) into the output back to front, giving best-first order. */
  private void emit(int size, int[] outIdx, float[] outVal, int outOff) {
    for (int s = size; s > 0; s--) {
      outIdx[outOff + s - 1] = hi[0];
      outVal[outOff + s - 1] = hv[0];
      float lv = hv[s - 1];
      int li = hi[s - 1];
      if (s - 1 > 0) {
        replaceTop(s - 1, lv, li);
      }
    }
  }

  /** Plain reference: sort all candidates by (value desc, index asc), keep the first k. */
  static void reference(float[] pre, int preOff, float[] bias, int[] candidates, int count, int k,
                        int[] outIdx, float[] outVal, int outOff) {
    Integer[] order = new Integer[count];
    float[] vals = new float[count];
    for (int c = 0; c < count; c++) {
      int i = candidates[c];
      order[c] = c;
      float v = pre[preOff + i] + bias[i];
      vals[c] = v > 0f ? v : 0f;
    }
    Arrays.sort(order, (a, b) -> {
      int cmp = Float.compare(vals[b], vals[a]);
      return cmp != 0 ? cmp : Integer.compare(candidates[a], candidates[b]);
    });
    for (int j = 0; j < Math.min(k, count); j++) {
      outIdx[outOff + j] = candidates[order[j]];
      outVal[outOff + j] = vals[order[j]];
    }
  }
}
