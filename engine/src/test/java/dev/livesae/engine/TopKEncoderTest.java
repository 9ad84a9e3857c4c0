package dev.livesae.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class TopKEncoderTest {

  @Test
  void gemmEncoderMatchesPlainJavaReferenceIncludingAuxSelection() {
    Random rnd = new Random(5);
    int d = 24;
    int n = 300;
    int k = 7;
    int rows = 1100; // several row blocks and a partial last block
    float[] w = new float[n * d];
    float[] b = new float[n];
    float[] xc = new float[rows * d];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) rnd.nextGaussian();
    }
    for (int i = 0; i < n; i++) {
      b[i] = (float) (0.5 * rnd.nextGaussian());
    }
    for (int i = 0; i < xc.length; i++) {
      xc[i] = (float) rnd.nextGaussian();
    }
    int[] dead = new int[n];
    int deadCount = 0;
    for (int i = 0; i < n; i += 3) {
      dead[deadCount++] = i;
    }
    int kAux = 12;
    int[] fi = new int[rows * k];
    float[] fv = new float[rows * k];
    int[] fai = new int[rows * kAux];
    float[] fav = new float[rows * kAux];
    int[] ri = new int[rows * k];
    float[] rv = new float[rows * k];
    int[] rai = new int[rows * kAux];
    float[] rav = new float[rows * kAux];
    try (TopKEncoder enc = new TopKEncoder(d, n)) {
      INDArray wn = TopKEncoder.upload(w, n, d);
      enc.encode(xc, rows, wn, b, k, fi, fv, dead, deadCount, kAux, fai, fav, new long[2]);
    }
    TopKEncoder.reference(xc, rows, w, b, d, n, k, ri, rv, dead, deadCount, kAux, rai, rav);
    assertThat(fi).containsExactly(ri);
    assertThat(fai).containsExactly(rai);
    for (int e = 0; e < fv.length; e++) {
      assertThat(fv[e]).isCloseTo(rv[e], within(1e-4f));
    }
    for (int e = 0; e < fav.length; e++) {
      assertThat(fav[e]).isCloseTo(rav[e], within(1e-4f));
    }
    for (int e = 0; e < fai.length; e++) {
      assertThat(fai[e] % 3).as("aux latents come from the dead list").isZero();
    }
  }
}
