package dev.livesae.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.livesae.engine.synthetic.SyntheticFeatures;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SaeTrainerTest {
  static final int D = 16;
  static final int N = 192;
  static final int K = 4;
  static final int ROWS = 128;

  /** AuxK active (dead after 100 tokens, less than one batch) and resampling every 640 tokens, so every state part is exercised. */
  static SaeConfig busyConfig() {
    return new SaeConfig(D, N, K, 8, 100, 1f / 32, 3e-3f, 3, 1.0f, 640, 3, true, 42L);
  }

  static float[][] batches(int count) {
    SyntheticFeatures gen = new SyntheticFeatures(D, 40, 1.0, 3.0 / 40, 0.01f, 5L);
    float[][] b = new float[count][];
    for (int i = 0; i < count; i++) {
      b[i] = gen.next(ROWS);
    }
    return b;
  }

  static void assertSameState(SaeState a, SaeState b) {
    assertThat(Arrays.equals(a.wEnc, b.wEnc)).as("W_enc bit-identical").isTrue();
    assertThat(Arrays.equals(a.wDec, b.wDec)).as("W_dec bit-identical").isTrue();
    assertThat(Arrays.equals(a.bEnc, b.bEnc)).as("b_enc bit-identical").isTrue();
    assertThat(Arrays.equals(a.bPre, b.bPre)).as("b_pre bit-identical").isTrue();
    assertThat(Arrays.equals(a.mWEnc, b.mWEnc) && Arrays.equals(a.vWDec, b.vWDec)).as("Adam moments").isTrue();
    assertThat(a.tokensSinceFired).containsExactly(b.tokensSinceFired);
    assertThat(a.step).isEqualTo(b.step);
    assertThat(a.tokensSeen).isEqualTo(b.tokensSeen);
    assertThat(a.resampledLatents).isEqualTo(b.resampledLatents);
  }

  @Test
  void sameConfigSeedAndBatchesGiveBitIdenticalWeights() {
    float[][] data = batches(12);
    try (SaeTrainer a = SaeTrainer.create(busyConfig(), data[0], ROWS);
         SaeTrainer b = SaeTrainer.create(busyConfig(), data[0], ROWS)) {
      long aux = 0;
      for (float[] x : data) {
        StepResult ra = a.step(x, ROWS);
        b.step(x, ROWS);
        aux += ra.auxKLoss() > 0 ? 1 : 0;
      }
      assertThat(aux).as("AuxK was active in some steps").isPositive();
      assertSameState(a.state(), b.state());
    }
    try (SaeTrainer c = SaeTrainer.create(busyConfig().withSeed(43L), data[0], ROWS);
         SaeTrainer a = SaeTrainer.create(busyConfig(), data[0], ROWS)) {
      assertThat(Arrays.equals(c.state().wDec, a.state().wDec)).as("another seed, another dictionary").isFalse();
    }
  }

  @Test
  void threadedRunIsBitIdenticalToSingleThreadedRun() {
    float[][] data = batches(8);
    SaeState threaded;
    SaeState serial;
    try (SaeTrainer a = SaeTrainer.create(busyConfig(), data[0], ROWS)) {
      for (float[] x : data) {
        a.step(x, ROWS);
      }
      threaded = a.state();
    }
    Parallel.threads = false;
    try (SaeTrainer b = SaeTrainer.create(busyConfig(), data[0], ROWS)) {
      for (float[] x : data) {
        b.step(x, ROWS);
      }
      serial = b.state();
    } finally {
      Parallel.threads = true;
    }
    assertSameState(threaded, serial);
  }

  @Test
  void resumedTrainingIsBitIdenticalToUninterruptedTraining(@TempDir Path dir) throws Exception {
    float[][] data = batches(14);
    try (SaeTrainer full = SaeTrainer.create(busyConfig(), data[0], ROWS)) {
      for (int i = 0; i < 7; i++) {
        full.step(data[i], ROWS);
      }
      full.save(dir, "synthetic-model", "blocks.0.hook_resid_post");
      for (int i = 7; i < 14; i++) {
        full.step(data[i], ROWS);
      }
      assertThat(full.resampledLatents()).as("resampling happened").isPositive();
      try (SaeTrainer resumed = SaeTrainer.load(dir)) {
        assertThat(resumed.step()).isEqualTo(7);
        assertThat(resumed.tokensSeen()).isEqualTo(7L * ROWS);
        for (int i = 7; i < 14; i++) {
          resumed.step(data[i], ROWS);
        }
        assertSameState(full.state(), resumed.state());
      }
    }
  }

  @Test
  void nonFiniteInputIsSkippedAndLeavesWeightsUntouched() {
    float[][] data = batches(2);
    try (SaeTrainer t = SaeTrainer.create(busyConfig(), data[0], ROWS)) {
      t.step(data[0], ROWS);
      float[] wEnc = t.state().wEnc.clone();
      float[] wDec = t.state().wDec.clone();
      float[] bad = data[1].clone();
      bad[5] = Float.NaN;
      StepResult r = t.step(bad, ROWS);
      assertThat(r.skipped()).isTrue();
      assertThat(r.step()).isEqualTo(1);
      assertThat(t.tokensSeen()).isEqualTo(ROWS);
      assertThat(Arrays.equals(wEnc, t.state().wEnc) && Arrays.equals(wDec, t.state().wDec)).isTrue();
      bad[5] = Float.POSITIVE_INFINITY;
      assertThat(t.step(bad, ROWS).skipped()).isTrue();
      float[] constant = new float[ROWS * D]; // zero total variance: FVU is not finite
      Arrays.fill(constant, 1f);
      assertThat(t.step(constant, ROWS).skipped()).isTrue();
      assertThat(Arrays.equals(wEnc, t.state().wEnc)).isTrue();
      StepResult ok = t.step(data[1], ROWS);
      assertThat(ok.skipped()).isFalse();
      assertThat(ok.step()).isEqualTo(2);
    }
  }

  @Test
  void rejectsBatchWithWrongWidth() {
    float[][] data = batches(1);
    try (SaeTrainer t = SaeTrainer.create(busyConfig(), data[0], ROWS)) {
      assertThatThrownBy(() -> t.step(new float[ROWS * D - 1], ROWS))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("x length");
      assertThatThrownBy(() -> t.step(data[0], 0))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rows");
    }
  }

  @Test
  void fastPathTracksReferencePath() {
    float[][] data = batches(5);
    try (SaeTrainer fast = SaeTrainer.create(busyConfig(), data[0], ROWS, true);
         SaeTrainer ref = SaeTrainer.create(busyConfig(), data[0], ROWS, false)) {
      for (float[] x : data) {
        StepResult a = fast.step(x, ROWS);
        StepResult b = ref.step(x, ROWS);
        assertThat(a.fvu()).isCloseTo(b.fvu(), within(1e-4));
        assertThat(a.gradNorm()).isCloseTo(b.gradNorm(), within(1e-3 * b.gradNorm()));
      }
      float[] wf = fast.state().wDec;
      float[] wr = ref.state().wDec;
      for (int q = 0; q < wf.length; q++) {
        assertThat(wf[q]).isCloseTo(wr[q], within(1e-3f));
      }
    }
  }

  @Test
  void snapshotFoldsTheInputScaleIntoTheWeights() {
    float[][] data = batches(4);
    try (SaeTrainer t = SaeTrainer.create(busyConfig(), data[0], ROWS)) {
      for (float[] x : data) {
        t.step(x, ROWS);
      }
      SaeState s = t.state();
      float scale = t.inputScale();
      assertThat(scale).isNotCloseTo(1f, within(0.05f));
      Sae sae = t.snapshot();
      float[] x = data[3];
      TopKCodes codes = sae.encode(x, ROWS);
      // internal encoding of scaled input with internal weights
      float[] xc = new float[ROWS * D];
      for (int q = 0; q < xc.length; q++) {
        xc[q] = x[q] * scale - s.bPre[q % D];
      }
      int[] idx = new int[ROWS * K];
      float[] val = new float[ROWS * K];
      TopKEncoder.reference(xc, ROWS, s.wEnc, s.bEnc, D, N, K, idx, val, null, 0, 0, null, null);
      assertThat(codes.indices()).containsExactly(idx);
      for (int e = 0; e < val.length; e++) {
        assertThat(codes.values()[e] * scale).isCloseTo(val[e], within(1e-3f * Math.max(1f, val[e])));
      }
      float[] xhat = sae.decode(codes);
      for (int r = 0; r < ROWS; r++) {
        double err = 0;
        double cn = 0;
        for (int q = 0; q < D; q++) {
          err += Math.pow(x[r * D + q] - xhat[r * D + q], 2);
          cn += Math.pow(x[r * D + q] - sae.decoderBias()[q], 2);
        }
        assertThat((double) codes.reconError()[r]).isCloseTo(err, within(1e-4 * Math.max(1, err)));
        assertThat((double) codes.centeredSqNorm()[r]).isCloseTo(cn, within(1e-4 * Math.max(1, cn)));
      }
    }
  }

  @Test
  void reportsStatisticsOfTheStep() {
    float[][] data = batches(1);
    try (SaeTrainer t = SaeTrainer.create(busyConfig(), data[0], ROWS)) {
      StepResult r = t.step(data[0], ROWS);
      assertThat(r.step()).isEqualTo(1);
      assertThat(r.tokensSeen()).isEqualTo(ROWS);
      assertThat(r.l0()).isGreaterThan(0).isLessThanOrEqualTo(K);
      assertThat(r.fvu()).isGreaterThan(0).isLessThan(2);
      // threshold 100 < 128 rows: exactly the latents that did not fire in this batch are dead
      long dead = Arrays.stream(t.state().tokensSinceFired).filter(v -> v >= 100).count();
      assertThat(dead).isPositive();
      assertThat(r.deadFraction()).isEqualTo((double) dead / N);
      assertThat(Arrays.stream(t.state().tokensSinceFired).filter(v -> v != 0 && v != ROWS).count()).isZero();
      assertThat(r.denseFraction()).isBetween(0.0, 1.0);
      assertThat(r.gradNorm()).isPositive();
      assertThat(r.skipped()).isFalse();
      assertThat(r.times().totalMs()).isPositive();
    }
  }

  @Test
  void firstAdamStepMovesEachBiasByTheWarmedUpLearningRate() {
    float[][] data = batches(1);
    for (long warmup : new long[] {0, 10}) {
      SaeConfig cfg = new SaeConfig(D, N, K, 8, 1_000_000, 1f / 32, 1e-2f, warmup, 0f, 0, 0, true, 42L);
      try (SaeTrainer t = SaeTrainer.create(cfg, data[0], ROWS)) {
        float[] before = t.state().bPre.clone();
        t.step(data[0], ROWS);
        double expected = warmup == 0 ? 1e-2 : 1e-2 / warmup;
        for (int c = 0; c < D; c++) {
          // Adam's first step is lr * sign(g) (up to eps) for every coordinate with a non-zero gradient
          assertThat((double) Math.abs(t.state().bPre[c] - before[c])).isCloseTo(expected, within(expected * 1e-3));
        }
      }
    }
  }

  @Test
  void concurrentEncodesOfOneSnapshotAgreeWithSequentialEncodes() throws Exception {
    float[][] data = batches(6);
    try (SaeTrainer t = SaeTrainer.create(busyConfig(), data[0], ROWS)) {
      t.step(data[0], ROWS);
      Sae sae = t.snapshot();
      TopKCodes[] expected = new TopKCodes[data.length];
      for (int i = 0; i < data.length; i++) {
        expected[i] = sae.encode(data[i], ROWS);
      }
      java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(3);
      try {
        java.util.List<java.util.concurrent.Future<TopKCodes>> futures = new java.util.ArrayList<>();
        for (int rep = 0; rep < 4; rep++) {
          for (float[] x : data) {
            futures.add(pool.submit(() -> sae.encode(x, ROWS)));
          }
        }
        for (int f = 0; f < futures.size(); f++) {
          TopKCodes got = futures.get(f).get(60, java.util.concurrent.TimeUnit.SECONDS);
          assertThat(got.indices()).containsExactly(expected[f % data.length].indices());
          assertThat(got.values()).containsExactly(expected[f % data.length].values());
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }
}
