package dev.livesae.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class DecoderRowsTest {

  @Test
  void rowsBecomeUnitNormAndThreadedEqualsReference() {
    Random rnd = new Random(9);
    int n = 1000;
    int d = 33;
    float[] a = new float[n * d];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) (5 * rnd.nextGaussian());
    }
    java.util.Arrays.fill(a, 0, d, 0f); // a zero row stays zero
    float[] b = a.clone();
    DecoderRows.normalize(a, n, d);
    DecoderRows.reference(b, n, d);
    assertThat(a).containsExactly(b);
    assertThat(SparseBackward.sqNorm(a, 0, d)).isZero();
    for (int i = 1; i < n; i++) {
      assertThat(SparseBackward.sqNorm(a, i * d, d)).isCloseTo(1.0, within(1e-5));
    }
  }
}
