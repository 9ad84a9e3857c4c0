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

  /**
   * Candidates are all latents 0..n-1 with value max(0, pre[preOff + i] + bias[i]).
   * Pass 1 (vectorisable): split the row into k chunks; the smallest chunk maximum t0 is a lower bound of the
   * k-th largest value (k distinct elements reach it). Pass 2: only elements &gt;= t0 enter the heap.
   */
  void selectAll(float[] pre, int preOff, float[] bias, int n, int k, int[] outIdx, float[] outVal, int outOff) {
    size = 0;
    thr = Float.NEGATIVE_INFINITY;
    float t0 = chunkMaxLowerBound(pre, preOff, bias, null, n, k);
    if (t0 > 0f) {
      for (int i = 0; i < n; i++) {
        float v = pre[preOff + i] + bias[i];
        if (v >= t0) {
          offer(v, i, k);
        }
      }
    } else {
      for (int i = 0; i < n; i++) {
        offer(pre[preOff + i] + bias[i], i, k);
      }
    }
    emit(size, outIdx, outVal, outOff);
  }

  /** Candidates are the latents in {@code candidates[0..count)} (ascending), values as in selectAll. */
  void selectAmong(float[] pre, int preOff, float[] bias, int[] candidates, int count, int k,
                   int[] outIdx, float[] outVal, int outOff) {
    size = 0;
    thr = Float.NEGATIVE_INFINITY;
    float t0 = chunkMaxLowerBound(pre, preOff, bias, candidates, count, k);
    for (int c = 0; c < count; c++) {
      int i = candidates[c];
      float v = pre[preOff + i] + bias[i];
      if (t0 <= 0f || v >= t0) {
        offer(v, i, k);
      }
    }
    emit(size, outIdx, outVal, outOff);
  }

  /** min over k equal chunks of the candidates of the chunk's max raw value (0 if k &gt;= count). */
  private static float chunkMaxLowerBound(float[] pre, int preOff, float[] bias, int[] candidates, int count, int k) {
    if (k >= count) {
      return 0f;
    }
    int chunk = (count + k - 1) / k;
    float lower = Float.POSITIVE_INFINITY;
    for (int c0 = 0; c0 < count; c0 += chunk) {
      int c1 = Math.min(count, c0 + chunk);
      float m = Float.NEGATIVE_INFINITY;
      if (candidates == null) {
        for (int i = c0; i < c1; i++) {
          m = Math.max(m, pre[preOff + i] + bias[i]);
        }
      } else {
        for (int c = c0; c < c1; c++) {
          int i = candidates[c];
          m = Math.max(m, pre[preOff + i] + bias[i]);
        }
      }
      lower = Math.min(lower, m);
    }
    // chunks may number fewer than k when chunk sizes round up; then the bound is not valid
    return Parallel.chunks(count, chunk) >= k && lower > 0f ? lower : 0f;
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
