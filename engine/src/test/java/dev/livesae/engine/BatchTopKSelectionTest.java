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
      BatchTopKSelection sel = new BatchTopKSelection(0.01);
      int kept = sel.select(rows, slots, k, val);
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
    BatchTopKSelection sel = new BatchTopKSelection(0.5);
    sel.select(rows, slots, k, val);
    assertThat(val).containsExactly(9, 8, 7, 6, 0, 0, 0, 0, 5, 4, 0, 0);
    assertThat(sel.lastSaturated()).isEqualTo(1);
    assertThat(sel.threshold()).isEqualTo(4f); // the first step sets the threshold to the smallest kept value
    sel.stepDone(rows);
    float[] next = {9, 8, 7, 6, 1, 0.5f, 0.2f, 0.1f, 5, 2, 0.3f, 0};
    sel.select(rows, slots, k, next);
    assertThat(sel.threshold()).isEqualTo(3f); // then a running average at the rate: 0.5 * 4 + 0.5 * 2
    sel.stepDone(rows);
    assertThat(sel.saturatedRows()).isEqualTo(2);
    assertThat(sel.rowsSeen()).isEqualTo(6);
  }
}
