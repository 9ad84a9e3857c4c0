package dev.livesae.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livesae.engine.eval.CoreMetrics;
import dev.livesae.engine.io.Safetensors;
import dev.livesae.engine.synthetic.SyntheticFeatures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** BatchTopK and Matryoshka BatchTopK in the trainer: determinism, resume, JumpReLU export, quality vs TopK. */
class ArchitectureTest {
  static final int ROWS = SaeTrainerTest.ROWS;

  /** The batch architectures, with a TopK warm-up of {@code warmup} steps (the default, 400, outlasts these runs). */
  static Architecture[] batchArchitectures(long warmup) {
    return new Architecture[] {Architecture.batchTopK().withTopkWarmupSteps(warmup),
        Architecture.matryoshka(12, 48).withTopkWarmupSteps(warmup)};
  }

  @Test
  void batchArchitecturesResumeBitIdenticallyWithTheirThreshold(@TempDir Path dir) throws Exception {
    float[][] data = SaeTrainerTest.batches(14);
    for (Architecture arch : batchArchitectures(9)) { // saved in the warm-up, batch selection starts after resume
      Path at = dir.resolve(arch.kind().cliName());
      try (SaeTrainer full = SaeTrainer.create(SaeTrainerTest.busyConfig(), arch, data[0], ROWS)) {
        for (int i = 0; i < 7; i++) {
          full.step(data[i], ROWS);
        }
        full.save(at, "synthetic-model", "blocks.0.hook_resid_post");
        for (int i = 7; i < 14; i++) {
          full.step(data[i], ROWS);
        }
        try (SaeTrainer resumed = SaeTrainer.load(at)) {
          assertThat(resumed.architecture()).isEqualTo(arch);
          for (int i = 7; i < 14; i++) {
            resumed.step(data[i], ROWS);
          }
          SaeTrainerTest.assertSameState(full.state(), resumed.state());
          assertThat(resumed.selectionStats()).isEqualTo(full.selectionStats());
          assertThat(full.selectionStats().threshold()).isPositive();
        }
      }
    }
  }

  @Test
  void batchArchitecturesAreBitIdenticalThreadedAndSingleThreaded() {
    float[][] data = SaeTrainerTest.batches(8);
    for (Architecture arch : batchArchitectures(3)) {
      SaeState threaded;
      try (SaeTrainer a = SaeTrainer.create(SaeTrainerTest.busyConfig(), arch, data[0], ROWS)) {
        for (float[] x : data) {
          a.step(x, ROWS);
        }
        threaded = a.state();
      }
      Parallel.threads = false;
      try (SaeTrainer b = SaeTrainer.create(SaeTrainerTest.busyConfig(), arch, data[0], ROWS)) {
        for (float[] x : data) {
          b.step(x, ROWS);
        }
        SaeTrainerTest.assertSameState(threaded, b.state());
      } finally {
        Parallel.threads = true;
      }
    }
  }

  @Test
  void batchTopKRowsKeepVariableCountsWithTheBatchAverageAtK() {
    float[][] data = SaeTrainerTest.batches(3);
    try (SaeTrainer t = SaeTrainer.create(SaeTrainerTest.busyConfig(), Architecture.batchTopK().withTopkWarmupSteps(0),
        data[0], ROWS)) {
      StepResult r = t.step(data[1], ROWS);
      assertThat(r.l0()).isEqualTo(SaeTrainerTest.K); // k·B kept over the batch (more positives than that exist)
      Sae dict = t.snapshot();
      assertThat(dict.architecture()).isEqualTo("jumprelu");
      assertThat(dict.k()).isEqualTo(4 * SaeTrainerTest.K);
      TopKCodes c = dict.encode(data[2], ROWS);
      int[] perRow = new int[ROWS];
      for (int j = 0; j < c.values().length; j++) {
        perRow[j / c.k()] += c.values()[j] > 0 ? 1 : 0;
      }
      assertThat(Arrays.stream(perRow).distinct().count()).as("rows keep different counts").isGreaterThan(1);
    }
  }

  @Test
  void jumpReluExportLoadsBackAndEncodesLikeTheTrainersDictionary(@TempDir Path dir) throws Exception {
    float[][] data = SaeTrainerTest.batches(10);
    try (SaeTrainer t = SaeTrainer.create(SaeTrainerTest.busyConfig(), Architecture.batchTopK().withTopkWarmupSteps(3),
        data[0], ROWS)) {
      for (float[] x : data) {
        t.step(x, ROWS);
      }
      Sae own = t.snapshot();
      own.save(dir, "synthetic-model", "blocks.0.hook_resid_post", java.util.Map.of("l0", 4.0));
      JsonNode cfg = SaeFormats.readJson(dir.resolve("cfg.json"));
      assertThat(cfg.path("architecture").asText()).isEqualTo("jumprelu");
      assertThat(cfg.has("k")).isFalse();
      assertThat(cfg.path("metadata").path("l0").asDouble()).isEqualTo(4.0);
      Safetensors.Reader r = Safetensors.read(dir.resolve("sae_weights.safetensors"));
      float[] threshold = r.f32("threshold", SaeTrainerTest.N);
      float own0 = (float) t.selectionStats().threshold(); // the export multiplies by 1/scale in float: 1 ulp apart
      assertThat(threshold[0]).isPositive().isCloseTo(own0, org.assertj.core.api.Assertions.within(2 * Math.ulp(own0)));
      Sae loaded = Sae.load(dir);
      assertThat(loaded.architecture()).isEqualTo("jumprelu");
      TopKCodes a = own.encode(data[3], ROWS);
      TopKCodes b = loaded.encode(data[3], ROWS);
      assertThat(b.indices()).containsExactly(a.indices());
      assertThat(b.values()).containsExactly(a.values());
      // JumpReLU by definition: a latent fires iff its pre-activation exceeds its threshold
      float[] x = Arrays.copyOf(data[3], SaeTrainerTest.D);
      TopKCodes one = loaded.encode(x, 1);
      for (int i = 0; i < SaeTrainerTest.N; i++) {
        float[] w = loaded.encoderRow(i);
        float[] bd = loaded.decoderBias();
        float pre = loaded.encoderBias()[i];
        for (int q = 0; q < SaeTrainerTest.D; q++) {
          pre += w[q] * (x[q] - bd[q]);
        }
        int latent = i;
        boolean fires = false;
        for (int j = 0; j < one.k(); j++) {
          fires |= one.indices()[j] == latent && one.values()[j] > 0;
        }
        if (Math.abs(pre - threshold[i]) > 1e-4f) {
          assertThat(fires).as("latent %d pre %f threshold %f", i, pre, threshold[i]).isEqualTo(pre > threshold[i]);
        }
      }
    }
  }

  @Test
  void anArchitectureSavedBeforeTheTopkWarmupExistedLoadsWithoutWarmup() throws Exception {
    Architecture current = Architecture.batchTopK();
    assertThat(current.topkWarmupSteps()).isEqualTo(Architecture.DEFAULT_TOPK_WARMUP_STEPS);
    com.fasterxml.jackson.databind.node.ObjectNode json = SaeFormats.JSON.valueToTree(current);
    assertThat(json.remove("topkWarmupSteps")).isNotNull();
    Architecture old = SaeFormats.JSON.treeToValue(json, Architecture.class);
    assertThat(old).isEqualTo(current.withTopkWarmupSteps(0)); // it resumes as it trained: batch selection
    assertThat(SaeFormats.JSON.readValue(SaeFormats.JSON.writeValueAsString(current), Architecture.class))
        .isEqualTo(current);
  }

  @Test
  void badArchitectureSettingsAreRejectedByFlagName() {
    assertThatThrownBy(() -> Architecture.Kind.parse("gated")).hasMessageContaining("--architecture");
    assertThatThrownBy(() -> Architecture.matryoshka(64, 32)).hasMessageContaining("--matryoshka-prefixes");
    assertThatThrownBy(() -> Architecture.matryoshka(64, 512).groupEnds(512))
        .hasMessageContaining("--matryoshka-prefixes must be < d_sae 512");
    assertThatThrownBy(() -> new Architecture(Architecture.Kind.BATCHTOPK, 4, 0.01, new int[] {8}))
        .hasMessageContaining("only for --architecture matryoshka-batchtopk");
    assertThat(Architecture.matryoshka().groupEnds(1024)).containsExactly(16, 64, 256, 1024);
  }

  /**
   * On synthetic features in superposition (FeatureRecoveryTest's data): the three architectures train at the
   * same average L0 (k), and each recovers the true features. Issue 14: BatchTopK at the same L0 at least as good
   * as TopK. With its 400-step TopK warm-up it reconstructs better (held-out FVU) and recovers as many features
   * within one feature in 192 (0.0105); its MMCS stays up to 0.005 below TopK's (generator / trainer seeds
   * 7/11: 0.9949 vs 0.9974, 7/18: 0.9925 vs 0.9974, 8/19: 0.9941 vs 0.9976, 9/20: 0.9951 vs 0.9974; with the
   * per-purpose seeds, 7/11: 0.9933 vs 0.9976), so MMCS is checked within 0.008. Figures in docs/engine.md.
   */
  @Test
  void allThreeArchitecturesTrainAtTheSameL0AndBatchTopKRecoversAsMuchAsTopK() {
    Quality topk = train(Architecture.TOPK);
    Quality batch = train(Architecture.batchTopK());
    Quality matryoshka = train(Architecture.matryoshka());
    assertThat(batch.trainL0).isEqualTo(6.0); // k·B kept per batch
    assertThat(matryoshka.trainL0).isEqualTo(6.0);
    assertThat(topk.trainL0).isBetween(5.0, 6.0); // k per row, minus the zeros of the ReLU
    assertThat(batch.evalL0).as("the learned threshold gives about k at inference").isBetween(4.0, 8.0);
    assertThat(topk.mmcs).isGreaterThan(0.99);
    assertThat(batch.recovered).as("recovered vs topk").isGreaterThanOrEqualTo(topk.recovered - 0.0105);
    assertThat(batch.mmcs).as("MMCS vs topk").isGreaterThanOrEqualTo(topk.mmcs - 0.008);
    assertThat(batch.evalFvu).as("held-out FVU vs topk").isLessThanOrEqualTo(topk.evalFvu);
    assertThat(matryoshka.mmcs).isGreaterThan(0.85);
    assertThat(matryoshka.evalFvu).isLessThan(0.2);
  }

  record Quality(double mmcs, double recovered, double fvu, double evalFvu, double evalL0, double dead,
                 double trainL0, double tokensPerSecond) {
  }

  static Quality train(Architecture arch) {
    return train(arch, 2e-3f, 1200, 6);
  }

  static Quality train(Architecture arch, float lr, int steps, int k) {
    int d = 64;
    int m = 192;
    int n = 512;
    int rows = 1024;
    SyntheticFeatures gen = new SyntheticFeatures(d, m, 0.5, 4.0 / m, 0.01f, 7L);
    SaeConfig cfg = new SaeConfig(d, n, k, d / 2, 100_000, 1f / 32, lr, 50, 0f, 0, 0, true, 11L);
    try (SaeTrainer t = SaeTrainer.create(cfg, arch, gen.next(4096), 4096)) {
      StepResult last = null;
      long nanos = 0;
      for (int s = 0; s < steps; s++) {
        float[] x = gen.next(rows);
        long t0 = System.nanoTime();
        last = t.step(x, rows);
        nanos += System.nanoTime() - t0;
      }
      Sae dict = t.snapshot();
      double[] best = gen.bestCosines(dict);
      double mmcs = Arrays.stream(best).average().orElseThrow();
      double recovered = Arrays.stream(best).filter(c -> c > 0.9).count() / (double) m;
      CoreMetrics eval = new CoreMetrics(d, n);
      float[] held = gen.next(8192);
      TopKCodes c = dict.encode(held, 8192);
      eval.add(held, dict.decode(c), 8192, c.indices(), c.values(), c.k());
      CoreMetrics.Result r = eval.result(null, null);
      Quality q = new Quality(mmcs, recovered, last.fvu(), 1 - r.explainedVariance(), r.l0(), last.deadFraction(),
          last.l0(), (double) steps * rows / (nanos / 1e9));
      System.out.printf("%s lr %s steps %d k %d: MMCS %.4f, recovered(cos>0.9) %.4f, train FVU %.4f, held-out FVU %.4f at L0 %.2f,"
              + " dead %.4f, train L0 %.2f, %.0f tokens/s in steps; saturated rows %d of %d%n", arch.kind().cliName(), lr, steps, k,
          q.mmcs, q.recovered, q.fvu, q.evalFvu, q.evalL0, q.dead, q.trainL0, q.tokensPerSecond,
          t.selectionStats().saturatedRows(), t.selectionStats().rows());
      return q;
    }
  }
}
