package dev.livesae.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SparseBackwardTest {

  @Test
  void sparseBackwardEqualsDenseBackward() {
    checkAgainstDense(new Random(10), 20, 150, 6, 9, 90, i -> i % 4 == 1);
  }

  /** AuxK-heavy case (kAux = 12 k, as d/2 vs 32 at full scale) where the row dot folds 96, 48, 24, 12. */
  @Test
  void auxKDominatedSparseBackwardEqualsDenseBackwardAtWiderRows() {
    checkAgainstDense(new Random(13), 96, 80, 2, 24, 40, i -> i % 5 != 0);
  }

  private static void checkAgainstDense(Random rnd, int d, int n, int k, int kAux, int rows,
                                        java.util.function.IntPredicate isDead) {
    Inputs in = new Inputs(rnd, d, n, k, kAux, rows, isDead);
    float[] wEnc = in.wEnc;
    float[] wDec = in.wDec;
    float[] xc = in.xc;
    int[] idx = in.idx;
    float[] val = in.val;
    int[] auxIdx = in.auxIdx;
    float[] auxVal = in.auxVal;
    float[] gOut = in.gOut;
    float[] hOut = in.hOut;
    for (boolean withAux : new boolean[] {true, false}) {
      Grads sparse = new Grads(n, d);
      Grads dense = new Grads(n, d);
      new SparseBackward().backward(rows, d, n, k, xc, idx, val, gOut, kAux, auxIdx, auxVal,
          withAux ? hOut : null, wEnc, wDec, sparse);
      SparseBackward.reference(rows, d, n, k, xc, idx, val, gOut, kAux, auxIdx, auxVal,
          withAux ? hOut : null, wEnc, wDec, dense);
      assertClose(sparse.wEnc, dense.wEnc, 1e-4f);
      assertClose(sparse.wDec, dense.wDec, 1e-4f);
      assertClose(sparse.bEnc, dense.bEnc, 1e-4f);
      assertClose(sparse.bPre, dense.bPre, 1e-3f);
      assertThat(sparse.norm()).isCloseTo(dense.norm(), within(1e-3 * dense.norm()));
      boolean[] firing = new boolean[n];
      for (int e = 0; e < idx.length; e++) {
        firing[idx[e]] |= val[e] > 0;
      }
      for (int e = 0; withAux && e < auxIdx.length; e++) {
        firing[auxIdx[e]] |= auxVal[e] > 0;
      }
      int[] expectedUsed = IntStream.range(0, n).filter(i -> firing[i]).toArray();
      assertThat(Arrays.copyOf(sparse.used, sparse.usedCount)).containsExactly(expectedUsed);
      assertThat(sparse.usedCount).isLessThan(n); // really sparse: some rows untouched
      for (int i = 0; i < n; i++) { // decoder-row gradients are orthogonal to the rows
        double scale = Math.max(1.0, Math.sqrt(SparseBackward.sqNorm(sparse.wDec, i * d, d)));
        assertThat((double) SparseBackward.dot(sparse.wDec, i * d, wDec, i * d, d)).isCloseTo(0.0, within(1e-5 * scale));
      }
    }
  }

  /**
   * The token blocks and latent groups only reorder work between latents: every block size, group size and
   * thread setting gives the same bits (blocks of 1 and 7 keys cut both the main and the AuxK entries).
   */
  @Test
  void blockAndGroupSizesAndThreadsDoNotChangeTheBits() {
    Random rnd = new Random(14);
    int d = 48;
    int n = 60;
    int k = 3;
    int kAux = 10;
    int rows = 50;
    Inputs in = new Inputs(rnd, d, n, k, kAux, rows, i -> i % 3 != 0);
    Grads base = new Grads(n, d);
    new SparseBackward(Integer.MAX_VALUE / 4, n).backward(rows, d, n, k, in.xc, in.idx, in.val, in.gOut, kAux,
        in.auxIdx, in.auxVal, in.hOut, in.wEnc, in.wDec, base);
    boolean saved = Parallel.threads;
    try {
      for (boolean threads : new boolean[] {false, true}) {
        Parallel.threads = threads;
        for (int[] bg : new int[][] {{1, 1}, {7, 5}, {16, 64}, {256, 512}}) {
          Grads g = new Grads(n, d);
          new SparseBackward(bg[0], bg[1]).backward(rows, d, n, k, in.xc, in.idx, in.val, in.gOut, kAux,
              in.auxIdx, in.auxVal, in.hOut, in.wEnc, in.wDec, g);
          String what = "block " + bg[0] + " group " + bg[1] + " threads " + threads;
          assertThat(g.usedCount).as(what).isEqualTo(base.usedCount);
          assertThat(bits(g.wDec)).as(what).isEqualTo(bits(base.wDec));
          assertThat(bits(g.wEnc)).as(what).isEqualTo(bits(base.wEnc));
          assertThat(bits(g.bEnc)).as(what).isEqualTo(bits(base.bEnc));
          assertThat(bits(g.bPre)).as(what).isEqualTo(bits(base.bPre));
          assertThat(g.rowNormSq).as(what).isEqualTo(base.rowNormSq);
        }
      }
    } finally {
      Parallel.threads = saved;
    }
    assertThatThrownBy(() -> new SparseBackward(0, 1)).hasMessageContaining("tokenBlock");
    assertThatThrownBy(() -> new SparseBackward(1, 0)).hasMessageContaining("latentGroup");
  }

  /** Unit decoder rows, Gaussian encoder/inputs/upstream gradients, and the reference TopK + AuxK codes. */
  private static final class Inputs {
    final float[] wEnc;
    final float[] wDec;
    final float[] xc;
    final int[] idx;
    final float[] val;
    final int[] auxIdx;
    final float[] auxVal;
    final float[] gOut;
    final float[] hOut;

    Inputs(Random rnd, int d, int n, int k, int kAux, int rows, java.util.function.IntPredicate isDead) {
      wEnc = gaussian(rnd, n * d);
      wDec = gaussian(rnd, n * d);
      DecoderRows.reference(wDec, n, d);
      float[] bEnc = gaussian(rnd, n);
      xc = gaussian(rnd, rows * d);
      int[] dead = IntStream.range(0, n).filter(isDead).toArray();
      idx = new int[rows * k];
      val = new float[rows * k];
      auxIdx = new int[rows * kAux];
      auxVal = new float[rows * kAux];
      TopKEncoder.reference(xc, rows, wEnc, bEnc, d, n, k, idx, val, dead, dead.length, kAux, auxIdx, auxVal);
      gOut = gaussian(rnd, rows * d);
      hOut = gaussian(rnd, rows * d);
    }
  }

  private static int[] bits(float[] a) {
    int[] b = new int[a.length];
    for (int i = 0; i < a.length; i++) {
      b[i] = Float.floatToRawIntBits(a[i]);
    }
    return b;
  }

  @Test
  void rowDotWithHalvingFoldsMatchesDoubleDotForEveryLength() {
    Random rnd = new Random(12);
    float[] tmp = new float[1024];
    for (int len = 1; len <= 1024; len += len < 100 ? 1 : 37) {
      float[] a = gaussian(rnd, len);
      float[] b = gaussian(rnd, len);
      double exact = 0;
      double mag = 0;
      for (int q = 0; q < len; q++) {
        exact += (double) a[q] * b[q];
        mag += Math.abs((double) a[q] * b[q]);
      }
      assertThat((double) SparseBackward.dotRow(a, b, len, tmp)).as("len %d", len)
          .isCloseTo(exact, within(1e-6 * mag + 1e-7));
    }
    float[] a = gaussian(rnd, 768);
    float[] b = gaussian(rnd, 768);
    assertThat(Float.floatToRawIntBits(SparseBackward.dotRow(a, b, 768, tmp)))
        .isEqualTo(Float.floatToRawIntBits(SparseBackward.dotRow(a, b, 768, new float[768]))); // deterministic
  }

  private static float[] gaussian(Random rnd, int len) {
    float[] a = new float[len];
    for (int i = 0; i < len; i++) {
      a[i] = (float) rnd.nextGaussian();
    }
    return a;
  }

  private static void assertClose(float[] a, float[] b, float tol) {
    assertThat(a).hasSameSizeAs(b);
    for (int i = 0; i < a.length; i++) {
      assertThat(a[i]).as("element %d", i).isCloseTo(b[i], within(tol * Math.max(1f, Math.abs(b[i]))));
    }
  }

  /** Loss of the trainer, in double, with the top-k sets held fixed and the AuxK target e0 detached. */
  private static final class DoubleLoss {
    final int d;
    final int n;
    final int rows;
    final double[] xs;
    final int[][] sel;
    final int[][] auxSel;
    double[] e0;
    double e0var;
    final double coeff;
    final double tv;

    DoubleLoss(float[] x, float scale, int rows, int d, int n, double coeff) {
      this.d = d;
      this.n = n;
      this.rows = rows;
      this.coeff = coeff;
      xs = new double[rows * d];
      for (int q = 0; q < xs.length; q++) {
        xs[q] = (double) (x[q] * scale);
      }
      double[] mean = new double[d];
      for (int q = 0; q < xs.length; q++) {
        mean[q % d] += xs[q] / rows;
      }
      double t = 0;
      for (int q = 0; q < xs.length; q++) {
        t += (xs[q] - mean[q % d]) * (xs[q] - mean[q % d]);
      }
      tv = t;
      sel = new int[rows][];
      auxSel = new int[rows][];
    }

    double[] pre(double[] wEnc, double[] bEnc, double[] bPre, int r) {
      double[] p = new double[n];
      for (int i = 0; i < n; i++) {
        double s = bEnc[i];
        for (int q = 0; q < d; q++) {
          s += wEnc[i * d + q] * (xs[r * d + q] - bPre[q]);
        }
        p[i] = s;
      }
      return p;
    }

    void select(double[] wEnc, double[] bEnc, double[] bPre, int k, int[] dead, int kAux) {
      for (int r = 0; r < rows; r++) {
        double[] p = pre(wEnc, bEnc, bPre, r);
        Comparator<Integer> byValue = Comparator.comparingDouble((Integer i) -> -Math.max(0, p[i]));
        sel[r] = IntStream.range(0, n).boxed().sorted(byValue.thenComparing(i -> i)).limit(k)
            .mapToInt(Integer::intValue).toArray();
        auxSel[r] = Arrays.stream(dead).boxed().sorted(byValue.thenComparing(i -> i)).limit(kAux)
            .mapToInt(Integer::intValue).toArray();
      }
    }

    double loss(double[] wEnc, double[] bEnc, double[] wDec, double[] bPre, boolean fixTarget) {
      double sse = 0;
      double aux = 0;
      double[] e = new double[rows * d];
      for (int r = 0; r < rows; r++) {
        double[] p = pre(wEnc, bEnc, bPre, r);
        double[] xhat = bPre.clone();
        for (int i : sel[r]) {
          for (int q = 0; q < d; q++) {
            xhat[q] += Math.max(0, p[i]) * wDec[i * d + q];
          }
        }
        double[] ehat = new double[d];
        for (int i : auxSel[r]) {
          for (int q = 0; q < d; q++) {
            ehat[q] += Math.max(0, p[i]) * wDec[i * d + q];
          }
        }
        for (int q = 0; q < d; q++) {
          e[r * d + q] = xs[r * d + q] - xhat[q];
          sse += e[r * d + q] * e[r * d + q];
          if (e0 != null) {
            aux += (ehat[q] - e0[r * d + q]) * (ehat[q] - e0[r * d + q]);
          }
        }
      }
      if (fixTarget) {
        // the AuxK target is the (detached) residual; the loss divides by its variance over the batch
        e0 = e;
        double[] mean = new double[d];
        for (int r = 0; r < rows; r++) {
          for (int q = 0; q < d; q++) {
            mean[q] += e[r * d + q] / rows;
          }
        }
        e0var = 0;
        for (int r = 0; r < rows; r++) {
          for (int q = 0; q < d; q++) {
            e0var += (e[r * d + q] - mean[q]) * (e[r * d + q] - mean[q]);
          }
        }
      }
      return sse / tv + (e0 == null ? 0 : coeff * aux / e0var);
    }
  }

  private static double[] toDouble(float[] a) {
    double[] o = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      o[i] = a[i];
    }
    return o;
  }

  @Test
  void trainerGradientsMatchFiniteDifferencesOfFvuPlusAuxK() {
    int d = 8;
    int n = 40;
    int k = 3;
    int kAux = 5;
    int rows = 48;
    float coeff = 0.5f; // large, so that the AuxK part is visible in the check
    SaeConfig cfg = new SaeConfig(d, n, k, kAux, 100, coeff, 1e-3f, 0, 0f, 0, 0, true, 3L);
    Random rnd = new Random(11);
    float[] x = new float[rows * d];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (rnd.nextGaussian() * (1 + i % d));
    }
    try (SaeTrainer t = SaeTrainer.create(cfg, x, rows)) {
      SaeState s = t.state();
      // perturb the initial state so that biases and rows are generic
      for (int i = 0; i < n; i++) {
        s.bEnc[i] = (float) (0.3 * rnd.nextGaussian());
        if (i % 3 == 0) {
          s.tokensSinceFired[i] = 1000; // dead
        }
      }
      for (int q = 0; q < n * d; q++) {
        s.wEnc[q] += (float) (0.2 * rnd.nextGaussian());
      }
      int[] dead = IntStream.range(0, n).filter(i -> i % 3 == 0).toArray();
      double[] wEnc = toDouble(s.wEnc);
      double[] bEnc = toDouble(s.bEnc);
      double[] wDec = toDouble(s.wDec);
      double[] bPre = toDouble(s.bPre);
      DoubleLoss f = new DoubleLoss(x, s.inputScale, rows, d, n, coeff);
      f.select(wEnc, bEnc, bPre, k, dead, Math.min(kAux, dead.length));
      f.loss(wEnc, bEnc, wDec, bPre, true);
      Grads[] seen = new Grads[1];
      t.gradientObserver = g -> {
        Grads c = new Grads(n, d);
        System.arraycopy(g.wEnc, 0, c.wEnc, 0, n * d);
        System.arraycopy(g.wDec, 0, c.wDec, 0, n * d);
        System.arraycopy(g.bEnc, 0, c.bEnc, 0, n);
        System.arraycopy(g.bPre, 0, c.bPre, 0, d);
        seen[0] = c;
      };
      StepResult res = t.step(x, rows);
      assertThat(res.auxKLoss()).isPositive();
      Grads g = seen[0];
      double eps = 1e-4;
      int checked = 0;
      for (int trial = 0; trial < 60; trial++) {
        double[][] params = {wEnc, bEnc, bPre};
        float[][] grads = {g.wEnc, g.bEnc, g.bPre};
        int which = trial % 3;
        double[] p = params[which];
        int at = rnd.nextInt(p.length);
        double old = p[at];
        p[at] = old + eps;
        double up = f.loss(wEnc, bEnc, wDec, bPre, false);
        p[at] = old - eps;
        double down = f.loss(wEnc, bEnc, wDec, bPre, false);
        p[at] = old;
        double fd = (up - down) / (2 * eps);
        assertThat((double) grads[which][at]).as("param %d index %d", which, at)
            .isCloseTo(fd, within(2e-3 * Math.max(1, Math.abs(fd)) + 1e-5));
        checked += fd != 0 ? 1 : 0;
      }
      assertThat(checked).isGreaterThan(20);
      // decoder rows: directional derivatives along directions orthogonal to the row
      for (int trial = 0; trial < 20; trial++) {
        int i = trial % 2 == 0 ? dead[trial % dead.length] : rnd.nextInt(n);
        double[] u = new double[d];
        double dot = 0;
        for (int q = 0; q < d; q++) {
          u[q] = rnd.nextGaussian();
          dot += u[q] * wDec[i * d + q];
        }
        double analytic = 0;
        for (int q = 0; q < d; q++) {
          u[q] -= dot * wDec[i * d + q];
          analytic += g.wDec[i * d + q] * u[q];
        }
        double[] wp = wDec.clone();
        double[] wm = wDec.clone();
        for (int q = 0; q < d; q++) {
          wp[i * d + q] += eps * u[q];
          wm[i * d + q] -= eps * u[q];
        }
        double fd = (f.loss(wEnc, bEnc, wp, bPre, false) - f.loss(wEnc, bEnc, wm, bPre, false)) / (2 * eps);
        assertThat(analytic).as("W_dec row %d", i).isCloseTo(fd, within(2e-3 * Math.max(1, Math.abs(fd)) + 1e-5));
      }
    }
  }
}
