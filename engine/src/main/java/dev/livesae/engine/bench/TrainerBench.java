package dev.livesae.engine.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livesae.engine.GemmProbe;
import dev.livesae.engine.PhaseTimes;
import dev.livesae.engine.SaeConfig;
import dev.livesae.engine.SaeTrainer;
import dev.livesae.engine.StepResult;
import dev.livesae.engine.synthetic.SyntheticFeatures;
import java.util.Map;
import java.util.concurrent.Callable;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sae bench trainer}: trains a TopK SAE on one fixed batch of synthetic activations (known features in
 * superposition, {@link SyntheticFeatures}) and reports throughput and time per phase. The last line of the
 * output is one JSON object.
 */
@Command(name = "trainer", mixinStandardHelpOptions = true,
    description = "Benchmark the SAE trainer step on a fixed batch of synthetic superposition activations; "
        + "prints progress, then one JSON line (tokens_per_s, encoder_gflops, ms per phase, BLAS info).")
public final class TrainerBench implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  SaeShapeOptions shape;

  @Option(names = "--steps", defaultValue = "10", description = "Timed steps (default: ${DEFAULT-VALUE}).")
  int steps;

  @Option(names = "--warmup", defaultValue = "2",
      description = "Untimed steps first, for the JIT (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--features", defaultValue = "0",
      description = "True synthetic features m; 0 means 4 x d (default: ${DEFAULT-VALUE}).")
  int features;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of data and initial dictionary (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--dead-tokens", defaultValue = "0",
      description = "Dead-latent threshold in tokens for AuxK; 0 means 10M, which a short benchmark never reaches "
          + "(set e.g. 1 to time AuxK on every latent that has not fired in the last step) (default: ${DEFAULT-VALUE}).")
  long deadTokens;

  public static void main(String[] args) {
    System.exit(new CommandLine(new TrainerBench()).execute(args));
  }

  private void validate() {
    shape.validate(spec.commandLine(), 2);
    require(steps >= 1, "--steps must be >= 1 (got " + steps + ")");
    require(warmup >= 0, "--warmup must be >= 0 (got " + warmup + ")");
    require(features >= 0, "--features must be >= 0 (got " + features + ")");
    require(deadTokens >= 0, "--dead-tokens must be >= 0 (got " + deadTokens + ")");
  }

  private void require(boolean ok, String message) {
    if (!ok) {
      throw new CommandLine.ParameterException(spec.commandLine(), message);
    }
  }

  @Override
  public Integer call() {
    validate();
    int m = features > 0 ? features : 4 * shape.d;
    double alpha = 0.5;
    double rate = Math.min(1.0, shape.k / (double) m);
    SyntheticFeatures gen = new SyntheticFeatures(shape.d, m, alpha, rate, 0.01f, seed);
    String data = "synthetic superposition activations (SyntheticFeatures d=" + shape.d + " m=" + m + " alpha=" + alpha
        + " mean active features=" + String.format("%.1f", gen.expectedL0()) + " seed=" + seed
        + "), one fixed batch reused every step";
    System.out.println("data: " + data);
    float[] x = gen.next(shape.batch);
    SaeConfig def = SaeConfig.defaults(shape.d, shape.n, shape.k);
    SaeConfig cfg = new SaeConfig(shape.d, shape.n, shape.k, def.kAux(), deadTokens > 0 ? deadTokens : def.deadTokensThreshold(),
        def.auxKCoeff(), 0f, 0, 0f, 0, 0, true, seed);
    try (SaeTrainer t = SaeTrainer.create(cfg, x, shape.batch)) {
      PhaseTimes sum = PhaseTimes.ZERO;
      double fvuFirst = Double.NaN;
      StepResult last = null;
      long wall = 0;
      for (int s = 0; s < warmup + steps; s++) {
        long t0 = System.nanoTime();
        last = t.step(x, shape.batch);
        long dt = System.nanoTime() - t0;
        boolean timed = s >= warmup;
        if (timed) {
          wall += dt;
          sum = sum.plus(last.times());
          if (Double.isNaN(fvuFirst)) {
            fvuFirst = last.fvu();
          }
        }
        PhaseTimes p = last.times();
        System.out.printf("%s step %d: %.0f ms (%.0f tokens/s) encode %.0f topk %.0f decode %.0f backward %.0f "
                + "optimizer %.0f | fvu %.4f auxk %.4f l0 %.1f dead %.3f%n", timed ? "timed" : "warmup",
            last.step(), dt / 1e6, shape.batch / (dt / 1e9), p.encodeMs(), p.topkMs(), p.decodeMs(), p.backwardMs(),
            p.optimizerMs(), last.fvu(), last.auxKLoss(), last.l0(), last.deadFraction());
      }
      double secs = wall / 1e9;
      if (GemmProbe.coreTypeWarning() != null) {
        System.out.println("warning: " + GemmProbe.coreTypeWarning());
      }
      // same run, right after the steps: the encoder's gemm alone on the same tiles, and a plain big sgemm
      double gemmSecs = GemmProbe.encoderGemmSeconds(shape.d, shape.n, shape.batch, 3);
      double peak = GemmProbe.peakGflops(2048, 3);
      double flops = 2.0 * shape.batch * shape.n * shape.d;
      System.out.printf("encoder gemm alone (best of 3): %.0f ms = %.0f GFLOP/s; step / gemm = %.2f; plain 2048^3 "
              + "sgemm peak %.0f GFLOP/s; cpu %s; OpenBLAS core %s%n", gemmSecs * 1e3, flops / gemmSecs / 1e9,
          wall / 1e9 / steps / gemmSecs, peak, GemmProbe.cpuModel(), GemmProbe.openBlasCoreType());
      ObjectMapper om = new ObjectMapper();
      ObjectNode o = om.createObjectNode();
      o.put("bench", "trainer");
      o.put("data", data);
      o.put("d", shape.d);
      o.put("n", shape.n);
      o.put("k", shape.k);
      o.put("batch", shape.batch);
      o.put("steps", steps);
      o.put("warmup", warmup);
      o.put("tokens_per_s", round(shape.batch * (double) steps / secs));
      o.put("ms_per_step", round(wall / 1e6 / steps));
      o.put("encoder_gflops", round(2.0 * shape.batch * shape.n * shape.d * steps / (sum.encodeMs() / 1e3) / 1e9));
      o.put("step_gflops_dense_equivalent", round(2.0 * shape.batch * shape.n * shape.d * steps / secs / 1e9));
      o.put("gemm_ms", round(gemmSecs * 1e3));
      o.put("gemm_gflops", round(flops / gemmSecs / 1e9));
      o.put("step_over_gemm", round(wall / 1e9 / steps / gemmSecs));
      o.put("peak_sgemm_gflops", round(peak));
      ObjectNode ms = o.putObject("ms");
      ms.put("encode", round(sum.encodeMs() / steps));
      ms.put("topk", round(sum.topkMs() / steps));
      ms.put("decode", round(sum.decodeMs() / steps));
      ms.put("backward", round(sum.backwardMs() / steps));
      ms.put("optimizer", round(sum.optimizerMs() / steps));
      o.put("fvu_first", round(fvuFirst));
      o.put("fvu_last", round(last.fvu()));
      o.put("l0_last", round(last.l0()));
      o.put("dead_fraction_last", round(last.deadFraction()));
      ObjectNode blas = o.putObject("blas");
      try {
        Map<Object, Object> env = Nd4j.getExecutioner().getEnvironmentInformation();
        for (String key : new String[] {"blas.vendor", "blas.threads", "omp.threads", "cores", "backend"}) {
          if (env.get(key) != null) {
            blas.put(key, String.valueOf(env.get(key)));
          }
        }
      } catch (RuntimeException e) {
        blas.put("error", String.valueOf(e.getMessage()));
      }
      blas.put("openblas.coretype", GemmProbe.openBlasCoreType());
      o.put("cpu", GemmProbe.cpuModel());
      o.put("java", System.getProperty("java.version"));
      o.put("available_processors", Runtime.getRuntime().availableProcessors());
      o.put("fast_path", Boolean.toString(!Boolean.getBoolean("livesae.engine.reference")));
      System.out.println(o.toString());
    }
    return 0;
  }

  private static double round(double v) {
    return Double.isFinite(v) ? Math.round(v * 1000) / 1000.0 : v;
  }
}
