package dev.livesae.engine;

import java.util.Arrays;

/**
 * Top-k of ReLU(pre + bias) over one row without sorting all n latents: a size-k min-heap scanned once,
 * most candidates rejected by one comparison with the heap's minimum. Order of the output: value
 * descending, ties by lower index. {@link #selectAmong} (AuxK, large k among dead latents) uses a radix select
 * on the value bits instead. {@link #reference} does the same by sorting all candidates.
 * <p>Not thread-safe: one instance per thread.
 */
final class TopKSelect {
  private final float[] hv;
  private final int[] hi;
  private int size;
  private float thr;
  private int[] bits = new int[0];
  private int[] sub = new int[0];
  private final int[] hist = new int[2048];
  private long[] keys = new long[0];

  TopKSelect(int capacity) {
    hv = new float[capacity];
    hi = new int[capacity];
  }

  int capacity() {
    return hv.length;
  }

  /**
   * Candidates are all latents 0..n-1 with value max(0, pre[preOff + i] + bias[i]).
   * Pass 1 (vectorisable): split the row into k chunks; the smallest chunk maximum t0 is a lower bound of the
   * k-th largest value (k distinct elements reach it). Pass 2: only elements &gt;= t0 enter the heap.
   */
  void selectAll(float[] pre, int preOff, float[] bias, int n, int k, int[] outIdx, float[] outVal, int outOff) {
    size = 0;
    thr = Float.NEGATIVE_INFINITY;
    float t0 = chunkMaxLowerBound(pre, preOff, bias, n, k);
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

  /**
   * Candidates are the latents in {@code candidates[0..count)} (ascending), values as in selectAll. Used for
   * AuxK, where k (kAux = d/2, e.g. 384) is large and the candidates (dead latents) are few per chunk, so the
   * chunk-max bound is weak and a heap would see most candidates. Instead: the ReLU'd values are non-negative,
   * so their raw float bits order like the values; a radix select over those bits (11, 11, then 9 bits, with
   * the boundary bucket compacted after the first pass) finds the bits T of the k-th largest value in O(count)
   * without data-dependent branches. Then every value above T and the lowest-index values equal to T are kept,
   * and only those k are sorted by (value desc, index asc) as packed long keys. Same output as
   * {@link #reference}.
   */
  void selectAmong(float[] pre, int preOff, float[] bias, int[] candidates, int count, int k,
                   int[] outIdx, float[] outVal, int outOff) {
    if (bits.length < count) {
      bits = new int[count];
      sub = new int[count];
    }
    int[] b = bits;
    for (int c = 0; c < count; c++) {
      int i = candidates[c];
      float raw = pre[preOff + i] + bias[i];
      b[c] = Float.floatToRawIntBits(raw > 0f ? raw : 0f); // ReLU; -0.0 and NaN become +0.0 as in offer
    }
    int m = Math.min(k, count);
    if (keys.length < m) {
      keys = new long[m];
    }
    long[] key = keys;
    int taken = 0;
    if (m == count) {
      for (int c = 0; c < count; c++) {
        key[taken++] = pack(b[c], candidates[c]);
      }
    } else {
      int t = kthLargestBits(b, count, m);
      int ties = m;
      for (int c = 0; c < count; c++) {
        if (b[c] > t) {
          ties--;
        }
      }
      for (int c = 0; c < count && taken < m; c++) {
        int x = b[c];
        if (x > t || (x == t && ties-- > 0)) {
          key[taken++] = pack(x, candidates[c]);
        }
      }
    }
    Arrays.sort(key, 0, m);
    for (int j = 0; j < m; j++) { // ascending keys, so read from the end: value desc, then index asc
      long kk = key[m - 1 - j];
      outVal[outOff + j] = Float.intBitsToFloat((int) (kk >>> 32));
      outIdx[outOff + j] = Integer.MAX_VALUE - (int) kk;
    }
  }

  /** Value bits (non-negative) in the high word, then MAX - index: a larger key is a better entry. */
  private static long pack(int valueBits, int i) {
    return ((long) valueBits << 32) | (Integer.MAX_VALUE - i);
  }

  /** Bits of the m-th largest of the non-negative ints b[0..count), 1 &lt;= m &lt;= count. Radix select. */
  private int kthLargestBits(int[] b, int count, int m) {
    int[] h = hist;
    // pass 1: bits 30..20 over all candidates
    Arrays.fill(h, 0);
    for (int c = 0; c < count; c++) {
      h[b[c] >>> 20]++;
    }
    int above = 0;
    int b1 = 2047;
    for (; above + h[b1] < m; b1--) {
      above += h[b1];
    }
    int need = m - above;
    int[] s = sub;
    int len = 0;
    for (int c = 0; c < count; c++) {
      s[len] = b[c];
      len += (b[c] >>> 20) == b1 ? 1 : 0;
    }
    // pass 2: bits 19..9 inside the boundary bucket
    Arrays.fill(h, 0);
    for (int c = 0; c < len; c++) {
      h[(s[c] >>> 9) & 2047]++;
    }
    int b2 = 2047;
    for (; h[b2] < need; b2--) {
      need -= h[b2];
    }
    // pass 3: bits 8..0
    Arrays.fill(h, 0, 512, 0);
    for (int c = 0; c < len; c++) {
      if (((s[c] >>> 9) & 2047) == b2) {
        h[s[c] & 511]++;
      }
    }
    int b3 = 511;
    for (; h[b3] < need; b3--) {
      need -= h[b3];
    }
    return (b1 << 20) | (b2 << 9) | b3;
  }

  /** min over k equal chunks of the row of the chunk's max raw value (0 if k &gt;= n). */
  private static float chunkMaxLowerBound(float[] pre, int preOff, float[] bias, int n, int k) {
    if (k >= n) {
      return 0f;
    }
    int chunk = (n + k - 1) / k;
    float lower = Float.POSITIVE_INFINITY;
    for (int c0 = 0; c0 < n; c0 += chunk) {
      int c1 = Math.min(n, c0 + chunk);
      float m = Float.NEGATIVE_INFINITY;
      for (int i = c0; i < c1; i++) {
        m = Math.max(m, pre[preOff + i] + bias[i]);
      }
      lower = Math.min(lower, m);
    }
    // chunks may number fewer than k when chunk sizes round up; then the bound is not valid
    return Parallel.chunks(n, chunk) >= k && lower > 0f ? lower : 0f;
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
