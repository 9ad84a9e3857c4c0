package dev.livesae.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class DeadLatentResamplerTest {

  static final int N = 20;
  static final int D = 5;
  static final int ROWS = 50;

  /** A state whose latents never fire (b_enc = -1000), so the loss of an input is ||x - b_pre||^2 = ||x||^2. */
  static SaeState silentState(Random rnd) {
    SaeState s = new SaeState(N, D);
    for (int q = 0; q < N * D; q++) {
      s.wEnc[q] = (float) rnd.nextGaussian();
      s.wDec[q] = (float) rnd.nextGaussian();
      s.mWEnc[q] = s.vWEnc[q] = s.mWDec[q] = s.vWDec[q] = 1f;
    }
    DecoderRows.reference(s.wDec, N, D);
    java.util.Arrays.fill(s.bEnc, -1000f);
    java.util.Arrays.fill(s.mBEnc, 1f);
    java.util.Arrays.fill(s.tokensSinceFired, 999);
    return s;
  }

  /** Reservoir rows all zero (loss 0: never drawn) except the given rows, scaled to the given squared norms. */
  static ResampleReservoir reservoir(Random rnd, int[] rows, double[] sqNorms) {
    float[] x = new float[ROWS * D];
    for (int c = 0; c < rows.length; c++) {
      double norm = 0;
      for (int q = 0; q < D; q++) {
        x[rows[c] * D + q] = (float) rnd.nextGaussian();
        norm += x[rows[c] * D + q] * x[rows[c] * D + q];
      }
      for (int q = 0; q < D; q++) {
        x[rows[c] * D + q] *= (float) Math.sqrt(sqNorms[c] / norm);
      }
    }
    ResampleReservoir res = new ResampleReservoir(D, ROWS);
    res.offer(x, ROWS, new Rng(0));
    return res;
  }

  @Test
  void deadLatentsGetDistinctHighLossInputsAndFreshAdamState() {
    Random rnd = new Random(12);
    SaeState s = silentState(rnd);
    boolean[] dead = new boolean[N];
    double aliveNorm = 0;
    int alive = 0;
    for (int i = 0; i < N; i++) {
      dead[i] = i % 4 == 0;
      if (!dead[i]) {
        aliveNorm += Math.sqrt(SparseBackward.sqNorm(s.wEnc, i * D, D));
        alive++;
      }
    }
    aliveNorm /= alive;
    ResampleReservoir res = reservoir(rnd, new int[] {7, 31}, new double[] {1, 3});
    float[] x = res.rows().clone();
    int count = DeadLatentResampler.resample(res, 2, dead, s, new Rng(1), false);
    assertThat(count).as("only two inputs have a non-zero loss, and each is given once").isEqualTo(2);
    java.util.Set<Integer> used = new java.util.HashSet<>();
    for (int i = 0; i < N; i++) {
      boolean resampled = dead[i] && i < 8; // ascending order: latents 0 and 4
      if (!resampled) {
        assertThat(s.bEnc[i]).isEqualTo(-1000f);
        assertThat(s.mWEnc[i * D]).isEqualTo(1f);
        continue;
      }
      assertThat(s.bEnc[i]).isZero();
      assertThat(s.mBEnc[i]).isZero();
      assertThat(s.mWEnc[i * D] + s.vWEnc[i * D] + s.mWDec[i * D] + s.vWDec[i * D]).isZero();
      assertThat(s.tokensSinceFired[i]).as("still dead (AuxK keeps training it) until it fires").isEqualTo(999);
      assertThat(SparseBackward.sqNorm(s.wDec, i * D, D)).isCloseTo(1.0, within(1e-5));
      assertThat(Math.sqrt(SparseBackward.sqNorm(s.wEnc, i * D, D))).isCloseTo(0.2 * aliveNorm, within(1e-4));
      for (int r : new int[] {7, 31}) {
        double norm = Math.sqrt(SparseBackward.sqNorm(x, r * D, D));
        if (SparseBackward.dot(s.wDec, i * D, x, r * D, D) / norm > 1 - 1e-5) {
          used.add(r);
        }
      }
    }
    assertThat(used).as("each latent got its own normalised high-loss input").containsExactlyInAnyOrder(7, 31);
  }

  @Test
  void inputsAreDrawnInProportionToTheSquaredLoss() {
    boolean[] dead = new boolean[N];
    dead[3] = true;
    int trials = 3000;
    int second = 0;
    for (int t = 0; t < trials; t++) {
      Random rnd = new Random(5); // same state and inputs every trial, another resampler stream
      SaeState s = silentState(rnd);
      ResampleReservoir res = reservoir(rnd, new int[] {2, 9}, new double[] {1, 2}); // squared losses 1 : 4
      float[] x = res.rows().clone();
      assertThat(DeadLatentResampler.resample(res, 2, dead, s, new Rng(Seeds.derive(t, "test")), false)).isEqualTo(1);
      double norm = Math.sqrt(SparseBackward.sqNorm(x, 9 * D, D));
      if (SparseBackward.dot(s.wDec, 3 * D, x, 9 * D, D) / norm > 1 - 1e-5) {
        second++;
      }
    }
    assertThat((double) second / trials).as("P(input with loss 2) = 2^2 / (1^2 + 2^2)").isCloseTo(0.8, within(0.03));
  }

  @Test
  void reservoirKeepsAUniformSampleOfEverythingOffered() {
    int capacity = 100;
    int offered = 1000;
    int[] kept = new int[offered];
    Rng rng = new Rng(3);
    for (int t = 0; t < 400; t++) {
      ResampleReservoir res = new ResampleReservoir(1, capacity);
      for (int b = 0; b < offered / 50; b++) { // 20 batches of 50 rows, row value = its global index
        float[] x = new float[50];
        for (int r = 0; r < 50; r++) {
          x[r] = b * 50 + r;
        }
        res.offer(x, 50, rng);
      }
      assertThat(res.size()).isEqualTo(capacity);
      assertThat(res.seen()).isEqualTo(offered);
      for (int r = 0; r < capacity; r++) {
        kept[(int) res.rows()[r]]++;
      }
    }
    // each row is kept with probability capacity / offered = 0.1: 40 of 400 trials; early and late rows alike
    int early = 0;
    int late = 0;
    for (int i = 0; i < 100; i++) {
      early += kept[i];
      late += kept[offered - 100 + i];
    }
    assertThat(early / 100.0).isCloseTo(40, within(3.0));
    assertThat(late / 100.0).isCloseTo(40, within(3.0));
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
