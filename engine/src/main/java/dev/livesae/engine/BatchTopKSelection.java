package dev.livesae.engine;

import java.util.Arrays;

/**
 * BatchTopK selection (Bussmann et al. 2024) over per-row candidates, and its inference threshold.
 * <p>Input: for each of B rows the top {@code slots} ReLU'd pre-activations (from {@link TopKEncoder}, sorted by
 * value descending). Output, in place: every entry not among the k·B largest of the batch has its value set to
 * 0 (not firing), so a row keeps anywhere from 0 to {@code slots} latents. Ties at the cut are broken by row,
 * then slot, ascending, so the result is deterministic. This equals BatchTopK over all n latents unless some
 * row has more than {@code slots} latents above the cut; such a row keeps all its candidates and is counted
 * as <em>saturated</em> (it may have needed more; {@link #saturatedRows()}).
 * <p>Threshold: after the t-th step {@code θ ← θ + max(rate, 1/t) (m - θ)}, where m is the smallest kept value of
 * the step: the plain mean of the per-batch minima over the first 1/rate steps (the estimate of Bussmann et al.),
 * then a running average at {@code rate} that follows the encoder as it trains (SAELens' rule). A fixed rate from
 * the start would drag the first batches' minimum along for hundreds of steps. At inference a latent fires when
 * its pre-activation exceeds θ (JumpReLU).
 * <p>Warm-up: during the trainer's first {@code topkWarmupSteps} steps every row keeps its own top k (TopK); the
 * threshold is still updated from the batch cut (computed on a copy), so a dictionary exported then encodes
 * sensibly. On synthetic superposition data, BatchTopK from a random start lets the rows with the
 * largest norms take most of the batch's budget (up to k' latents each, whose overlapping decoder rows overshoot:
 * FVU above 1 in the first steps) and finds the rarer true features later than TopK; see docs/engine.md.
 * Not thread-safe; state is part of the trainer's checkpoint.
 */
final class BatchTopKSelection {
  private final double rate;
  private final long topkWarmupSteps;
  private float threshold;
  private long updates;
  private long saturatedRows;
  private long rowsSeen;
  private int lastSaturated;
  private int[] bits = new int[0];
  private float[] warm = new float[0];

  BatchTopKSelection(double rate, long topkWarmupSteps) {
    this.rate = rate;
    this.topkWarmupSteps = topkWarmupSteps;
  }

  /**
   * Keeps the {@code k * rows} largest positive values among {@code val[0, rows * slots)} and zeroes the rest
   * (before step {@code topkWarmupSteps}: each row's first k slots, its top k). Returns the number of entries kept.
   *
   * @param step the trainer's completed steps before this one
   */
  int select(int rows, int slots, int k, float[] val, long step) {
    if (step < topkWarmupSteps) {
      int total = rows * slots;
      if (warm.length < total) {
        warm = new float[total];
      }
      System.arraycopy(val, 0, warm, 0, total);
      batchSelect(rows, slots, k, warm); // the threshold follows the batch cut, so a dictionary exported now works
      lastSaturated = 0;
      return keepRowTopK(rows, slots, k, val);
    }
    return batchSelect(rows, slots, k, val);
  }

  private int batchSelect(int rows, int slots, int k, float[] val) {
    int total = rows * slots;
    long want = (long) k * rows;
    if (bits.length < total) {
      bits = new int[total];
    }
    int positive = 0;
    for (int e = 0; e < total; e++) {
      if (val[e] > 0f) {
        bits[positive++] = Float.floatToRawIntBits(val[e]); // positive floats order like their bits
      }
    }
    int kept;
    if (positive <= want) {
      kept = positive;
    } else {
      Arrays.sort(bits, 0, positive);
      int cutBits = bits[positive - (int) want]; // the want-th largest
      float cut = Float.intBitsToFloat(cutBits);
      int above = positive - upperBound(bits, positive, cutBits); // strictly greater than the cut
      int equalQuota = (int) want - above;
      kept = 0;
      for (int e = 0; e < total; e++) {
        float v = val[e];
        if (v > cut) {
          kept++;
        } else if (v == cut && v > 0f && equalQuota > 0) {
          equalQuota--;
          kept++;
        } else {
          val[e] = 0f;
        }
      }
    }
    float min = Float.POSITIVE_INFINITY;
    int saturated = 0;
    for (int r = 0; r < rows; r++) {
      int last = r * slots + slots - 1;
      if (val[last] > 0f) {
        saturated++;
      }
      for (int e = r * slots; e <= last; e++) {
        if (val[e] > 0f && val[e] < min) {
          min = val[e];
        }
      }
    }
    lastSaturated = saturated;
    if (min < Float.POSITIVE_INFINITY) {
      updates++;
      threshold = (float) (threshold + Math.max(rate, 1.0 / updates) * (min - threshold));
    }
    return kept;
  }

  private int keepRowTopK(int rows, int slots, int k, float[] val) {
    int kept = 0;
    for (int r = 0; r < rows; r++) {
      for (int j = r * slots, end = j + slots; j < end; j++) {
        if (j - r * slots >= k) {
          val[j] = 0f;
        } else if (val[j] > 0f) {
          kept++;
        }
      }
    }
    lastSaturated = 0;
    return kept;
  }

  /** Counts a step's rows as seen (call once per successful step). */
  void stepDone(int rows) {
    rowsSeen += rows;
    saturatedRows += lastSaturated;
  }

  private static int upperBound(int[] a, int len, int key) {
    int lo = 0;
    int hi = len;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (a[mid] <= key) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** The inference threshold in the trainer's internal units (0 before the first step). */
  float threshold() {
    return threshold;
  }

  /** Steps that updated the threshold. */
  long updates() {
    return updates;
  }

  /** Rows, over all successful steps, whose every candidate slot was kept (they may have needed more). */
  long saturatedRows() {
    return saturatedRows;
  }

  long rowsSeen() {
    return rowsSeen;
  }

  int lastSaturated() {
    return lastSaturated;
  }

  void restore(float threshold, long updates, long saturatedRows, long rowsSeen) {
    this.threshold = threshold;
    this.updates = updates;
    this.saturatedRows = saturatedRows;
    this.rowsSeen = rowsSeen;
  }

  /** Plain reference: sort all (value, row, slot) entries, keep the first k·rows positive ones. */
  static void reference(int rows, int slots, int k, float[] val) {
    Integer[] order = new Integer[rows * slots];
    for (int e = 0; e < order.length; e++) {
      order[e] = e;
    }
    Arrays.sort(order, (a, b) -> {
      int c = Float.compare(val[b], val[a]);
      return c != 0 ? c : Integer.compare(a, b);
    });
    boolean[] keep = new boolean[order.length];
    for (int j = 0; j < Math.min(order.length, k * rows); j++) {
      keep[order[j]] = val[order[j]] > 0f;
    }
    for (int e = 0; e < order.length; e++) {
      if (!keep[e]) {
        val[e] = 0f;
      }
    }
  }
}
