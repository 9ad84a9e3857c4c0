package dev.livesae.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class DeadLatentResamplerTest {

  @Test
  void deadLatentsGetHighErrorInputsAndFreshAdamState() {
    int n = 20;
    int d = 5;
    int rows = 50;
    Random rnd = new Random(12);
    SaeState s = new SaeState(n, d);
    for (int q = 0; q < n * d; q++) {
      s.wEnc[q] = (float) rnd.nextGaussian();
      s.wDec[q] = (float) rnd.nextGaussian();
      s.mWEnc[q] = s.vWEnc[q] = s.mWDec[q] = s.vWDec[q] = 1f;
    }
    java.util.Arrays.fill(s.bEnc, 0.7f);
    java.util.Arrays.fill(s.mBEnc, 1f);
    java.util.Arrays.fill(s.tokensSinceFired, 999);
    boolean[] dead = new boolean[n];
    double aliveNorm = 0;
    int alive = 0;
    for (int i = 0; i < n; i++) {
      dead[i] = i % 4 == 0;
      if (!dead[i]) {
        aliveNorm += Math.sqrt(SparseBackward.sqNorm(s.wEnc, i * d, d));
        alive++;
      }
    }
    aliveNorm /= alive;
    float[] xc = new float[rows * d];
    for (int q = 0; q < xc.length; q++) {
      xc[q] = (float) rnd.nextGaussian();
    }
    float[] err = new float[rows];
    err[7] = 1f; // only two inputs can be drawn, input 7 three times as likely
    err[31] = 3f;
    int count = DeadLatentResampler.resample(xc, err, rows, dead, s, new Rng(1));
    assertThat(count).isEqualTo(5);
    for (int i = 0; i < n; i++) {
      if (!dead[i]) {
        assertThat(s.bEnc[i]).isEqualTo(0.7f);
        assertThat(s.mWEnc[i * d]).isEqualTo(1f);
        continue;
      }
      assertThat(s.bEnc[i]).isZero();
      assertThat(s.mBEnc[i]).isZero();
      assertThat(s.mWEnc[i * d] + s.vWEnc[i * d] + s.mWDec[i * d] + s.vWDec[i * d]).isZero();
      assertThat(s.tokensSinceFired[i]).isZero();
      assertThat(SparseBackward.sqNorm(s.wDec, i * d, d)).isCloseTo(1.0, within(1e-5));
      assertThat(Math.sqrt(SparseBackward.sqNorm(s.wEnc, i * d, d))).isCloseTo(0.2 * aliveNorm, within(1e-4));
      double best = 0;
      for (int r : new int[] {7, 31}) {
        double norm = Math.sqrt(SparseBackward.sqNorm(xc, r * d, d));
        best = Math.max(best, SparseBackward.dot(s.wDec, i * d, xc, r * d, d) / norm);
      }
      assertThat(best).as("decoder row %d is a normalised high-error input", i).isCloseTo(1.0, within(1e-5));
    }
  }

  @Test
  void trainerResamplesOnScheduleAtMostMaxTimesWithoutAuxK() {
    SaeConfig cfg = new SaeConfig(16, 96, 4, 8, 200, 0f, 3e-3f, 0, 0f, 256, 2, false, 7L);
    float[][] data = SaeTrainerTest.batches(10);
    try (SaeTrainer t = SaeTrainer.create(cfg, data[0], 128)) {
      int events = 0;
      long total = 0;
      for (float[] x : data) {
        StepResult r = t.step(x, 128);
        assertThat(r.auxKLoss()).isZero();
        total += r.resampled();
        events += r.resampled() > 0 ? 1 : 0;
      }
      assertThat(total).isPositive();
      assertThat(events).isLessThanOrEqualTo(2);
      assertThat(t.resampledLatents()).isEqualTo(total);
    }
  }
}
