package dev.livesae.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SparseDecoderTest {

  @Test
  void sparseDecodeMatchesDenseReference() {
    Random rnd = new Random(6);
    int d = 17;
    int n = 90;
    int k = 5;
    int rows = 70;
    float[] w = new float[n * d];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) rnd.nextGaussian();
    }
    DecoderRows.reference(w, n, d);
    float[] bias = new float[d];
    for (int q = 0; q < d; q++) {
      bias[q] = (float) rnd.nextGaussian();
    }
    int[] idx = new int[rows * k];
    float[] val = new float[rows * k];
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < k; j++) {
        idx[r * k + j] = (r * 7 + j * 13) % n; // distinct within a row
        val[r * k + j] = j == k - 1 ? 0f : (float) Math.abs(rnd.nextGaussian());
      }
    }
    for (float[] b : new float[][] {bias, null}) {
      float[] fast = new float[rows * d];
      float[] ref = new float[rows * d];
      SparseDecoder.decode(rows, d, k, idx, val, w, b, fast);
      SparseDecoder.reference(rows, d, n, k, idx, val, w, b, ref);
      for (int q = 0; q < fast.length; q++) {
        assertThat(fast[q]).isCloseTo(ref[q], within(1e-5f));
      }
    }
  }
}
