package dev.livesae.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The Matryoshka loss's gradients (per-group runs of the sparse kernel) against a dense reference computed from
 * the definition of the summed prefix losses, and that reference against finite differences of the loss.
 */
class MatryoshkaLossTest {
  static final int D = 12;
  static final int N = 40;
  static final int K = 3;
  static final int SLOTS = 6;
  static final int ROWS = 16;
  static final int[] ENDS = {4, 12, 40};

  /** A batch selected by BatchTopK (per-row candidates, then the batch's top k·B), as the trainer does. */
  static final class Batch {
    final float[] xs = new float[ROWS * D];
    final float[] bPre = new float[D];
    final float[] xc = new float[ROWS * D];
    final float[] wEnc = new float[N * D];
    final float[] bEnc = new float[N];
    final float[] wDec = new float[N * D];
    final int[] idx = new int[ROWS * SLOTS];
    final float[] val = new float[ROWS * SLOTS];
    final float[] resid = new float[ROWS * D];
    double tv;

    Batch(long seed) {
      Random rnd = new Random(seed);
      for (int q = 0; q < xs.length; q++) {
        xs[q] = (float) rnd.nextGaussian();
      }
      for (int q = 0; q < D; q++) {
        bPre[q] = (float) (0.3 * rnd.nextGaussian());
      }
      for (int q = 0; q < wDec.length; q++) {
        wDec[q] = (float) rnd.nextGaussian();
        wEnc[q] = (float) (0.5 * rnd.nextGaussian());
      }
      DecoderRows.reference(wDec, N, D);
      for (int i = 0; i < N; i++) {
        bEnc[i] = (float) (0.2 * rnd.nextGaussian());
      }
      for (int q = 0; q < xc.length; q++) {
        xc[q] = xs[q] - bPre[q % D];
      }
      TopKEncoder.reference(xc, ROWS, wEnc, bEnc, D, N, SLOTS, idx, val, null, 0, 0, null, null);
      BatchTopKSelection.reference(ROWS, SLOTS, K, val);
      float[] xhat = new float[ROWS * D];
      SparseDecoder.reference(ROWS, D, N, SLOTS, idx, val, wDec, null, xhat);
      for (int q = 0; q < resid.length; q++) {
        resid[q] = xc[q] - xhat[q];
      }
      double[] mean = new double[D];
      for (int q = 0; q < xs.length; q++) {
        mean[q % D] += xs[q] / (double) ROWS;
      }
      for (int q = 0; q < xs.length; q++) {
        tv += (xs[q] - mean[q % D]) * (xs[q] - mean[q % D]);
      }
    }

    /** The summed prefix losses in double with the selection held fixed, from the parameters directly. */
    double loss(double[] wE, double[] bE, double[] wD, double[] bP) {
      double total = 0;
      for (int r = 0; r < ROWS; r++) {
        double[] c = new double[D];
        for (int q = 0; q < D; q++) {
          c[q] = xs[r * D + q] - bP[q];
        }
        for (int end : ENDS) {
          double[] e = c.clone();
          for (int j = r * SLOTS; j < (r + 1) * SLOTS; j++) {
            int i = idx[j];
            if (val[j] > 0f && i < end) {
              double z = bE[i];
              for (int q = 0; q < D; q++) {
                z += wE[i * D + q] * c[q];
              }
              for (int q = 0; q < D; q++) {
                e[q] -= z * wD[i * D + q];
              }
            }
          }
          for (int q = 0; q < D; q++) {
            total += e[q] * e[q] / tv;
          }
        }
      }
      return total;
    }
  }

  @Test
  void perGroupSparseGradientsEqualTheDenseGradientOfTheSummedPrefixLosses() {
    for (long seed : new long[] {1, 2, 3}) {
      Batch b = new Batch(seed);
      Grads fast = new Grads(N, D);
      Grads ref = new Grads(N, D);
      new MatryoshkaLoss(ENDS, new SparseBackward()).backward(ROWS, D, N, SLOTS, b.xc, b.idx, b.val, b.resid, b.tv,
          0, null, null, null, b.wEnc, b.wDec, fast);
      MatryoshkaLoss.reference(ROWS, D, N, SLOTS, b.xc, b.idx, b.val, ENDS, b.tv, b.wEnc, b.wDec, ref);
      assertClose(fast.wDec, ref.wDec);
      assertClose(fast.wEnc, ref.wEnc);
      assertClose(fast.bEnc, ref.bEnc);
      assertClose(fast.bPre, ref.bPre);
      assertThat(fast.norm()).isCloseTo(ref.norm(), within(1e-4 * ref.norm()));
      int[] used = Arrays.copyOf(fast.used, fast.usedCount);
      assertThat(used).isSorted().doesNotHaveDuplicates();
      // the loss is the sum of the prefix FVUs, the last of which is the plain FVU
      double[] prefix = new double[ENDS.length];
      double loss = new MatryoshkaLoss(ENDS, new SparseBackward()).loss(ROWS, D, SLOTS, b.idx, b.val, b.wDec,
          b.resid, b.tv, prefix);
      double plain = 0;
      for (float e : b.resid) {
        plain += (double) e * e;
      }
      assertThat(prefix[ENDS.length - 1]).isCloseTo(plain / b.tv, within(1e-6));
      assertThat(loss).isCloseTo(Arrays.stream(prefix).sum(), within(1e-9));
      assertThat(prefix[0]).isNotEqualTo(prefix[2]); // the inner prefixes really leave latents out
      assertThat(loss).isCloseTo(b.loss(toD(b.wEnc), toD(b.bEnc), toD(b.wDec), toD(b.bPre)), within(1e-4 * loss));
    }
  }

  @Test
  void denseReferenceMatchesFiniteDifferencesOfTheLoss() {
    Batch b = new Batch(4);
    for (long seed = 5; firingLatentPerGroup(b) == null; seed++) {
      b = new Batch(seed); // a batch in which every group has a firing latent
    }
    Grads ref = new Grads(N, D);
    MatryoshkaLoss.reference(ROWS, D, N, SLOTS, b.xc, b.idx, b.val, ENDS, b.tv, b.wEnc, b.wDec, ref);
    double[] wE = toD(b.wEnc);
    double[] bE = toD(b.bEnc);
    double[] wD = toD(b.wDec);
    double[] bP = toD(b.bPre);
    double h = 1e-6;
    // one latent of each group that fires, plus b_pre
    for (int i : firingLatentPerGroup(b)) {
      for (int q = 0; q < D; q += 5) {
        double fd = central(b, wE, i * D + q, h, wE, bE, wD, bP);
        assertThat((double) ref.wEnc[i * D + q]).as("W_enc[%d][%d]", i, q).isCloseTo(fd, within(1e-5 + 1e-4 * Math.abs(fd)));
      }
      double fdb = central(b, bE, i, h, wE, bE, wD, bP);
      assertThat((double) ref.bEnc[i]).as("b_enc[%d]", i).isCloseTo(fdb, within(1e-5 + 1e-4 * Math.abs(fdb)));
      double[] g = new double[D];
      double par = 0;
      for (int q = 0; q < D; q++) {
        g[q] = central(b, wD, i * D + q, h, wE, bE, wD, bP);
        par += g[q] * b.wDec[i * D + q];
      }
      for (int q = 0; q < D; q++) { // training uses the gradient's part orthogonal to the unit row
        double want = g[q] - par * b.wDec[i * D + q];
        assertThat((double) ref.wDec[i * D + q]).as("W_dec[%d][%d]", i, q).isCloseTo(want, within(1e-5 + 1e-4 * Math.abs(want)));
      }
    }
    for (int q = 0; q < D; q++) {
      double fd = central(b, bP, q, h, wE, bE, wD, bP);
      assertThat((double) ref.bPre[q]).as("b_pre[%d]", q).isCloseTo(fd, within(1e-5 + 1e-4 * Math.abs(fd)));
    }
  }

  /** With one group (plain BatchTopK) and AuxK, the per-group path equals the plain sparse backward's reference. */
  @Test
  void singleGroupWithAuxKEqualsThePlainBackward() {
    Batch b = new Batch(5);
    int kAux = 4;
    int[] dead = {1, 5, 7, 20, 21, 33, 38};
    int[] auxIdx = new int[ROWS * kAux];
    float[] auxVal = new float[ROWS * kAux];
    TopKEncoder.reference(b.xc, ROWS, b.wEnc, b.bEnc, D, N, SLOTS, new int[ROWS * SLOTS], new float[ROWS * SLOTS],
        dead, dead.length, kAux, auxIdx, auxVal);
    Random rnd = new Random(6);
    float[] h = new float[ROWS * D];
    for (int q = 0; q < h.length; q++) {
      h[q] = (float) (0.1 * rnd.nextGaussian());
    }
    float[] gOut = new float[ROWS * D];
    for (int q = 0; q < gOut.length; q++) {
      gOut[q] = (float) (-2.0 / b.tv * b.resid[q]);
    }
    Grads fast = new Grads(N, D);
    Grads ref = new Grads(N, D);
    new MatryoshkaLoss(new int[] {N}, new SparseBackward()).backward(ROWS, D, N, SLOTS, b.xc, b.idx, b.val, b.resid,
        b.tv, kAux, auxIdx, auxVal, h, b.wEnc, b.wDec, fast);
    SparseBackward.reference(ROWS, D, N, SLOTS, b.xc, b.idx, b.val, gOut, kAux, auxIdx, auxVal, h, b.wEnc, b.wDec, ref);
    assertClose(fast.wDec, ref.wDec);
    assertClose(fast.wEnc, ref.wEnc);
    assertClose(fast.bEnc, ref.bEnc);
    assertClose(fast.bPre, ref.bPre);
  }

  private static int[] firingLatentPerGroup(Batch b) {
    int[] out = new int[ENDS.length];
    Arrays.fill(out, -1);
    for (int j = 0; j < b.idx.length; j++) {
      if (b.val[j] > 0f) {
        int i = b.idx[j];
        int g = 0;
        while (i >= ENDS[g]) {
          g++;
        }
        out[g] = out[g] < 0 ? i : out[g];
      }
    }
    return Arrays.stream(out).anyMatch(i -> i < 0) ? null : out;
  }

  private static double central(Batch b, double[] p, int at, double h, double[] wE, double[] bE, double[] wD,
                                double[] bP) {
    double keep = p[at];
    p[at] = keep + h;
    double up = b.loss(wE, bE, wD, bP);
    p[at] = keep - h;
    double down = b.loss(wE, bE, wD, bP);
    p[at] = keep;
    return (up - down) / (2 * h);
  }

  private static double[] toD(float[] a) {
    double[] o = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      o[i] = a[i];
    }
    return o;
  }

  private static void assertClose(float[] got, float[] want) {
    double scale = 1e-3;
    for (float w : want) {
      scale = Math.max(scale, Math.abs(w));
    }
    for (int i = 0; i < want.length; i++) {
      assertThat((double) got[i]).as("element %d", i).isCloseTo(want[i], within(1e-4 * scale));
    }
  }
}
