package dev.livesae.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livesae.engine.synthetic.SyntheticFeatures;
import org.junit.jupiter.api.Test;

/** Trains on synthetic activations with known features in superposition and checks the decoder finds them. */
class FeatureRecoveryTest {

  @Test
  void recoversKnownFeaturesAndKeepsLatentsAlive() {
    int d = 64;
    int m = 192;
    int n = 512;
    int k = 6;
    int rows = 1024;
    SyntheticFeatures gen = new SyntheticFeatures(d, m, 0.5, 4.0 / m, 0.01f, 7L);
    SaeConfig cfg = new SaeConfig(d, n, k, d / 2, 100_000, 1f / 32, 2e-3f, 50, 0f, 0, 0, true, 11L);
    double before;
    StepResult last = null;
    try (SaeTrainer t = SaeTrainer.create(cfg, gen.next(4096), 4096)) {
      before = gen.meanBestCosine(t.snapshot());
      for (int s = 0; s < 1500; s++) {
        last = t.step(gen.next(rows), rows);
        if (s % 250 == 0) {
          System.out.printf("step %d fvu %.4f aux %.4f l0 %.2f dead %.4f dense %.4f%n", last.step(), last.fvu(),
              last.auxKLoss(), last.l0(), last.deadFraction(), last.denseFraction());
        }
      }
      double after = gen.meanBestCosine(t.snapshot());
      System.out.printf("mean best cosine before %.3f after %.3f, fvu %.4f dead %.4f%n", before, after, last.fvu(),
          last.deadFraction());
      assertThat(before).isLessThan(0.6);
      assertThat(after).isGreaterThanOrEqualTo(0.95);
      assertThat(last.deadFraction()).isLessThan(0.01);
      assertThat(last.fvu()).isLessThan(0.1);
    }
  }
}
