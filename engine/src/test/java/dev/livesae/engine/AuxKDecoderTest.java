package dev.livesae.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class AuxKDecoderTest {

  /** AuxK codes as the trainer makes them: top-kAux of ReLU(pre) among dead latents, with zeros; fills auxVal. */
  private static int[] codes(Random rnd, int rows, int d, int n, int kAux, float[] wEnc, float[] bEnc,
                             float[] auxValOut) {
    float[] xc = new float[rows * d];
    for (int q = 0; q < xc.length; q++) {
      xc[q] = (float) rnd.nextGaussian();
    }
    int[] dead = IntStream.range(0, n).filter(i -> i % 3 != 0).toArray();
    int[] idx = new int[rows * 4];
    float[] val = new float[rows * 4];
    int[] auxIdx = new int[rows * kAux];
    TopKEncoder.reference(xc, rows, wEnc, bEnc, d, n, 4, idx, val, dead, dead.length, kAux, auxIdx, auxValOut);
    return auxIdx;
  }

  @Test
  void latentMajorDecodeMatchesDenseReferenceAndIgnoresThreads() {
    Random rnd = new Random(21);
    int d = 19;
    int n = 120;
    int kAux = 30;
    int rows = 300;
    float[] wEnc = new float[n * d];
    float[] wDec = new float[n * d];
    for (int q = 0; q < wEnc.length; q++) {
      wEnc[q] = (float) rnd.nextGaussian();
      wDec[q] = (float) rnd.nextGaussian();
    }
    DecoderRows.reference(wDec, n, d);
    float[] bEnc = new float[n];
    for (int i = 0; i < n; i++) {
      bEnc[i] = (float) (rnd.nextGaussian() - 0.5); // some dead latents stay at ReLU 0: zero codes
    }
    float[] auxVal = new float[rows * kAux];
    int[] auxIdx = codes(rnd, rows, d, n, kAux, wEnc, bEnc, auxVal);
    int zeros = 0;
    for (float v : auxVal) {
      zeros += v == 0f ? 1 : 0;
    }
    assertThat(zeros).as("zero codes present").isPositive();
    float[] ref = new float[rows * d];
    SparseDecoder.reference(rows, d, n, kAux, auxIdx, auxVal, wDec, null, ref);
    float[] fast = new float[rows * d];
    java.util.Arrays.fill(fast, Float.NaN); // output is overwritten, not accumulated
    AuxKDecoder dec = new AuxKDecoder();
    dec.decode(rows, d, n, kAux, auxIdx, auxVal, wDec, fast);
    for (int q = 0; q < fast.length; q++) {
      assertThat(fast[q]).as("element %d", q).isCloseTo(ref[q], within(1e-5f * Math.max(1f, Math.abs(ref[q]))));
    }
    // large d gives small token blocks: many blocks, each latent's entries split across them
    int bigD = 4096;
    assertThat(AuxKDecoder.blockRows(bigD)).isEqualTo(32);
    float[] wBig = new float[n * bigD];
    for (int q = 0; q < wBig.length; q++) {
      wBig[q] = (float) rnd.nextGaussian();
    }
    float[] refBig = new float[rows * bigD];
    SparseDecoder.reference(rows, bigD, n, kAux, auxIdx, auxVal, wBig, null, refBig);
    float[] threaded = new float[rows * bigD];
    dec.decode(rows, bigD, n, kAux, auxIdx, auxVal, wBig, threaded);
    float[] serial = new float[rows * bigD];
    Parallel.threads = false;
    try {
      new AuxKDecoder().decode(rows, bigD, n, kAux, auxIdx, auxVal, wBig, serial);
    } finally {
      Parallel.threads = true;
    }
    for (int q = 0; q < threaded.length; q++) { // bit-identical (containsExactly is quadratic on 1.2M elements)
      assertThat(Float.floatToRawIntBits(threaded[q])).as("element %d", q)
          .isEqualTo(Float.floatToRawIntBits(serial[q]));
    }
    for (int q = 0; q < refBig.length; q++) {
      assertThat(threaded[q]).isCloseTo(refBig[q], within(1e-4f * Math.max(1f, Math.abs(refBig[q]))));
    }
  }
}
