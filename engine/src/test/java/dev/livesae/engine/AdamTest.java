package dev.livesae.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AdamTest {

  @Test
  void threadedUpdateIsBitIdenticalToReferenceAndMatchesTextbookAdam() {
    Random rnd = new Random(7);
    int len = 200_000; // several chunks
    float[] p1 = new float[len];
    float[] g = new float[len];
    for (int i = 0; i < len; i++) {
      p1[i] = (float) rnd.nextGaussian();
    }
    float[] p2 = p1.clone();
    float[] m1 = new float[len];
    float[] v1 = new float[len];
    float[] m2 = new float[len];
    float[] v2 = new float[len];
    double[] pd = new double[len];
    double[] md = new double[len];
    double[] vd = new double[len];
    for (int i = 0; i < len; i++) {
      pd[i] = p1[i];
    }
    float lr = 1e-3f;
    for (int t = 1; t <= 5; t++) {
      for (int i = 0; i < len; i++) {
        g[i] = i % 10 == 0 ? 0f : (float) rnd.nextGaussian();
      }
      Adam.step(p1, g, m1, v1, len, lr, t);
      Adam.reference(p2, g, m2, v2, len, lr, t);
      for (int i = 0; i < len; i++) {
        md[i] = 0.9 * md[i] + 0.1 * g[i];
        vd[i] = 0.999 * vd[i] + 0.001 * (double) g[i] * g[i];
        double mh = md[i] / (1 - Math.pow(0.9, t));
        double vh = vd[i] / (1 - Math.pow(0.999, t));
        pd[i] -= lr * mh / (Math.sqrt(vh) + 6.25e-10);
      }
    }
    assertThat(Arrays.equals(p1, p2)).as("parameters bit-identical").isTrue();
    assertThat(Arrays.equals(m1, m2)).as("first moments bit-identical").isTrue();
    assertThat(Arrays.equals(v1, v2)).as("second moments bit-identical").isTrue();
    for (int i = 0; i < len; i += 97) {
      assertThat((double) p1[i]).isCloseTo(pd[i], within(2e-6));
    }
  }

  @Test
  void mirroredUpdateWritesTheSameParametersIntoTheMirror() {
    Random rnd = new Random(11);
    int len = 150_000; // several chunks, the last one partial
    float[] p1 = new float[len];
    float[] g = new float[len];
    for (int i = 0; i < len; i++) {
      p1[i] = (float) rnd.nextGaussian();
      g[i] = (float) rnd.nextGaussian();
    }
    float[] p2 = p1.clone();
    float[] m1 = new float[len];
    float[] v1 = new float[len];
    float[] m2 = new float[len];
    float[] v2 = new float[len];
    java.nio.FloatBuffer mirror = java.nio.ByteBuffer.allocateDirect(4 * len)
        .order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
    for (int t = 1; t <= 3; t++) {
      Adam.step(p1, g, m1, v1, len, 1e-3f, t, mirror);
      Adam.reference(p2, g, m2, v2, len, 1e-3f, t);
    }
    float[] seen = new float[len];
    mirror.get(0, seen);
    assertThat(Arrays.equals(p1, p2)).as("parameters bit-identical to the reference").isTrue();
    assertThat(Arrays.equals(seen, p1)).as("mirror holds the parameters").isTrue();
  }
}
