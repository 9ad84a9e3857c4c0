package dev.livesae.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class BatchTopKSelectionTest {

  @Test
  void keepsTheBatchsLargestKTimesRowsValuesWithTiesByRowThenSlot() {
    Random rnd = new Random(3);
    int rows = 50;
    int slots = 12;
    int k = 4;
    for (int trial = 0; trial < 20; trial++) {
      float[] val = new float[rows * slots];
      for (int r = 0; r < rows; r++) {
        float v = 3f;
        for (int j = 0; j < slots; j++) { // descending per row, with zeros and many ties (quantised values)
          v = Math.max(0f, v - Math.round(rnd.nextFloat() * 4) / 8f);
          val[r * slots + j] = v;
        }
      }
      float[] want = val.clone();
      BatchTopKSelection.reference(rows, slots, k, want);
      BatchTopKSelection sel = new BatchTopKSelection(0.01, 0);
      int kept = sel.select(rows, slots, k, val, 0);
      assertThat(val).containsExactly(want);
      long positive = 0;
      for (float v : val) {
        positive += v > 0f ? 1 : 0;
      }
      assertThat(kept).isEqualTo((int) positive).isLessThanOrEqualTo(k * rows);
    }
  }

  @Test
  void rowsMayKeepMoreOrFewerThanKAndSaturatedRowsAreCounted() {
    int rows = 3;
    int slots = 4;
    int k = 2;
    // row 0 strong (all 4 candidates above the cut), row 1 weak, row 2 in between
    float[] val = {9, 8, 7, 6, 1, 0.5f, 0.2f, 0.1f, 5, 4, 0.3f, 0};
    BatchTopKSelection sel = new BatchTopKSelection(0.25, 0);
    sel.select(rows, slots, k, val, 0);
    assertThat(val).containsExactly(9, 8, 7, 6, 0, 0, 0, 0, 5, 4, 0, 0);
    assertThat(sel.lastSaturated()).isEqualTo(1);
    assertThat(sel.threshold()).isEqualTo(4f); // the first step sets the threshold to the smallest kept value
    sel.stepDone(rows);
    float[] next = {9, 8, 7, 6, 1, 0.5f, 0.2f, 0.1f, 5, 2, 0.3f, 0};
    sel.select(rows, slots, k, next, 0);
    assertThat(sel.threshold()).isEqualTo(3f); // the mean of the minima while 1/t > rate: (4 + 2) / 2
    sel.stepDone(rows);
    float[] third = {9, 8, 7, 6, 1, 0.5f, 0.2f, 0.1f, 6, 6, 0.3f, 0};
    sel.select(rows, slots, k, third, 0);
    assertThat(sel.threshold()).isEqualTo(4f); // (4 + 2 + 6) / 3
    sel.stepDone(rows);
    float[] fourth = {10, 9, 8, 8, 1, 0.5f, 0.2f, 0.1f, 8, 8, 0.3f, 0};
    sel.select(rows, slots, k, fourth, 0);
    assertThat(sel.threshold()).isEqualTo(5f); // from t = 4 on the rate: 4 + 0.25 * (8 - 4)
    sel.stepDone(rows);
    assertThat(sel.saturatedRows()).isEqualTo(4);
    assertThat(sel.rowsSeen()).isEqualTo(12);
  }

  @Test
  void duringTheWarmupEachRowKeepsItsOwnTopKAndTheThresholdFollowsTheBatchCut() {
    int rows = 3;
    int slots = 4;
    int k = 2;
    BatchTopKSelection sel = new BatchTopKSelection(0.25, 2);
    float[] val = {9, 8, 7, 6, 1, 0.5f, 0.2f, 0.1f, 5, 0, 0, 0};
    assertThat(sel.select(rows, slots, k, val, 1)).isEqualTo(5);
    assertThat(val).containsExactly(9, 8, 0, 0, 1, 0.5f, 0, 0, 5, 0, 0, 0);
    assertThat(sel.threshold()).isEqualTo(1f); // the smallest of the k·B largest: 9 8 7 6 1 5
    assertThat(sel.updates()).isEqualTo(1);
    assertThat(sel.lastSaturated()).isZero();
    float[] after = {9, 8, 7, 6, 1, 0.5f, 0.2f, 0.1f, 5, 0, 0, 0};
    assertThat(sel.select(rows, slots, k, after, 2)).isEqualTo(6); // batch selection from step 2 on
    assertThat(after).containsExactly(9, 8, 7, 6, 1, 0, 0, 0, 5, 0, 0, 0);
    assertThat(sel.threshold()).isEqualTo(1f);
    assertThat(sel.updates()).isEqualTo(2);
  }
}
