package dev.livesae.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class TopKSelectTest {

  private static void compareAll(float[] pre, float[] bias, int n, int k) {
    int[] fi = new int[k];
    float[] fv = new float[k];
    int[] ri = new int[k];
    float[] rv = new float[k];
    int[] all = new int[n];
    for (int i = 0; i < n; i++) {
      all[i] = i;
    }
    new TopKSelect(k).selectAll(pre, 0, bias, n, k, fi, fv, 0);
    TopKSelect.reference(pre, 0, bias, all, n, k, ri, rv, 0);
    assertThat(fi).containsExactly(ri);
    assertThat(fv).containsExactly(rv);
  }

  @Test
  void partialSelectionEqualsFullSortOnRandomRows() {
    Random rnd = new Random(1);
    for (int trial = 0; trial < 200; trial++) {
      int n = 1 + rnd.nextInt(700);
      int k = 1 + rnd.nextInt(Math.min(n, 40));
      float[] pre = new float[n];
      float[] bias = new float[n];
      for (int i = 0; i < n; i++) {
        pre[i] = (float) rnd.nextGaussian();
        bias[i] = (float) (0.3 * rnd.nextGaussian());
      }
      compareAll(pre, bias, n, k);
    }
  }

  @Test
  void tiesGoToTheLowerIndexAndNegativesBecomeZeros() {
    Random rnd = new Random(2);
    for (int trial = 0; trial < 200; trial++) {
      int n = 1 + rnd.nextInt(300);
      int k = 1 + rnd.nextInt(n);
      float[] pre = new float[n];
      for (int i = 0; i < n; i++) {
        pre[i] = rnd.nextInt(5) - 3; // many ties, many non-positive
      }
      compareAll(pre, new float[n], n, k);
    }
    float[] allNegative = {-1f, -2f, -0f, -3f, -0.5f};
    int[] idx = new int[3];
    float[] val = new float[3];
    new TopKSelect(3).selectAll(allNegative, 0, new float[5], 5, 3, idx, val, 0);
    assertThat(idx).containsExactly(0, 1, 2);
    assertThat(val).containsExactly(0f, 0f, 0f);
    assertThat(Float.floatToRawIntBits(val[2])).isZero(); // +0.0, never -0.0
  }

  @Test
  void radixSelectionAmongManyCandidatesWithLargeKEqualsReference() {
    Random rnd = new Random(4);
    TopKSelect sel = new TopKSelect(1);
    for (int trial = 0; trial < 60; trial++) {
      int n = 3000;
      int[] cand = java.util.stream.IntStream.range(0, n).filter(i -> i % 3 != 1).toArray();
      int k = trial % 3 == 0 ? 384 : 1 + rnd.nextInt(cand.length);
      float[] pre = new float[n];
      for (int i = 0; i < n; i++) { // gaussian, coarse ties, mostly negative, or values sharing high bits
        pre[i] = switch (trial % 4) {
          case 0 -> (float) rnd.nextGaussian();
          case 1 -> rnd.nextInt(6) - 3;
          case 2 -> (float) rnd.nextGaussian() - 2.5f;
          default -> 1f + rnd.nextInt(1 << 12) * 0x1p-23f;
        };
      }
      int[] fi = new int[k];
      float[] fv = new float[k];
      int[] ri = new int[k];
      float[] rv = new float[k];
      sel.selectAmong(pre, 0, new float[n], cand, cand.length, k, fi, fv, 0);
      TopKSelect.referenceAmong(pre, 0, new float[n], cand, cand.length, k, ri, rv, 0);
      assertThat(fi).containsExactly(ri);
      assertThat(fv).containsExactly(rv);
    }
  }

  @Test
  void selectionAmongCandidatesEqualsReference() {
    Random rnd = new Random(3);
    for (int trial = 0; trial < 200; trial++) {
      int n = 2 + rnd.nextInt(500);
      int count = 0;
      int[] cand = new int[n];
      for (int i = 0; i < n; i++) {
        if (rnd.nextInt(3) == 0) {
          cand[count++] = i;
        }
      }
      if (count == 0) {
        continue;
      }
      int k = 1 + rnd.nextInt(count);
      float[] pre = new float[n];
      for (int i = 0; i < n; i++) {
        pre[i] = trial % 2 == 0 ? (float) rnd.nextGaussian() : rnd.nextInt(4) - 1;
      }
      int[] fi = new int[k];
      float[] fv = new float[k];
      int[] ri = new int[k];
      float[] rv = new float[k];
      new TopKSelect(k).selectAmong(pre, 0, new float[n], cand, count, k, fi, fv, 0);
      TopKSelect.referenceAmong(pre, 0, new float[n], cand, count, k, ri, rv, 0);
      assertThat(fi).containsExactly(ri);
      assertThat(fv).containsExactly(rv);
    }
  }

  @Test
  void auxSelectionIsTheValueOrderedTopSetInAscendingIndexOrder() {
    Random rnd = new Random(5);
    int n = 4000;
    int[] cand = java.util.stream.IntStream.range(0, n).filter(i -> i % 2 == 0).toArray();
    int k = 384;
    float[] pre = new float[n];
    for (int i = 0; i < n; i++) {
      pre[i] = (float) rnd.nextGaussian();
    }
    int[] fi = new int[k];
    float[] fv = new float[k];
    int[] ri = new int[k];
    float[] rv = new float[k];
    new TopKSelect(1).selectAmong(pre, 0, new float[n], cand, cand.length, k, fi, fv, 0);
    TopKSelect.reference(pre, 0, new float[n], cand, cand.length, k, ri, rv, 0);
    java.util.Map<Integer, Float> byValue = new java.util.HashMap<>();
    for (int j = 0; j < k; j++) {
      byValue.put(ri[j], rv[j]);
    }
    for (int j = 0; j < k; j++) {
      if (j > 0) {
        assertThat(fi[j]).as("index order at %d", j).isGreaterThan(fi[j - 1]);
      }
      assertThat(byValue).as("entry %d (latent %d) is in the top-k set", j, fi[j]).containsKey(fi[j]);
      assertThat(fv[j]).isEqualTo(byValue.get(fi[j]));
    }
  }
}
