package dev.livesae.sources.bench;

import dev.livesae.engine.SaeConfig;
import dev.livesae.engine.SaeTrainer;
import dev.livesae.sources.EuroparlCorpus;
import dev.livesae.sources.QuietLogs;
import dev.livesae.sources.TextLines;
import dev.livesae.sources.intervene.FeatureEdit;
import dev.livesae.sources.intervene.FeatureIntervener;
import dev.livesae.sources.intervene.SaeDictionary;
import dev.livesae.sources.model.MiniLmModel;
import dev.livesae.sources.model.SplitTransformer;
import dev.livesae.sources.model.TokenBatch;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sae bench interventions}: ms per request of MiniLM's plain forward pass and of the split model with
 * feature interventions, measured alternately in the same run over the same requests (Europarl texts).
 * Variants: the unsplit model; split with no edit (the cost of the cut); steer one feature (no SAE encode);
 * ablate one feature and clamp eight (an SAE encode of every token). Best of {@code --rounds} per variant;
 * the last line is JSON.
 */
@Command(name = "interventions", mixinStandardHelpOptions = true, sortOptions = false,
        description = "ms per request: MiniLM forward vs split model with feature ablate/steer/clamp at a hookpoint; last line JSON.")
public final class InterventionBench implements Callable<Integer> {

    static {
        QuietLogs.apply();
    }

    @Spec
    CommandSpec spec;

    @Option(names = "--sae", description = "SAE directory (default: train a d_sae 3072, k 32 SAE on 256 corpus texts first, ~10 s; cost does not depend on its quality)")
    Path sae;
    @Option(names = "--hookpoint", defaultValue = "blocks.3.hook_resid_post", description = "hookpoint of the interventions (default: ${DEFAULT-VALUE})")
    String hookpoint;
    @Option(names = "--requests", defaultValue = "64", description = "requests per round, 1..100000 (default: ${DEFAULT-VALUE})")
    int requests;
    @Option(names = "--texts-per-request", defaultValue = "1", description = "texts per request, 1..256 (default: ${DEFAULT-VALUE})")
    int textsPerRequest;
    @Option(names = "--rounds", defaultValue = "3", description = "alternating rounds of every variant, best kept, 1..20 (default: ${DEFAULT-VALUE})")
    int rounds;
    @Option(names = "--threads", defaultValue = "0", description = "ONNX Runtime intra-op threads, 0 = default (default: ${DEFAULT-VALUE})")
    int threads;

    /** One variant timed over the round's requests. */
    record Timing(double wallMs, double cpuMs) {
    }

    @Override
    public Integer call() throws Exception {
        CommandLine cl = spec.commandLine();
        if (requests < 1 || requests > 100_000) {
            throw new CommandLine.ParameterException(cl, "--requests must be in [1, 100000] (got " + requests + ")");
        }
        if (textsPerRequest < 1 || textsPerRequest > 256) {
            throw new CommandLine.ParameterException(cl, "--texts-per-request must be in [1, 256] (got " + textsPerRequest + ")");
        }
        if (rounds < 1 || rounds > 20) {
            throw new CommandLine.ParameterException(cl, "--rounds must be in [1, 20] (got " + rounds + ")");
        }
        if (threads < 0) {
            throw new CommandLine.ParameterException(cl, "--threads must be >= 0 (got " + threads + ")");
        }
        if (sae != null && !Files.isDirectory(sae)) {
            throw new CommandLine.ParameterException(cl, "--sae must be a directory (got " + sae + ")");
        }
        PrintWriter out = cl.getOut();
        out.println(machine());
        try (MiniLmModel model = MiniLmModel.load(MiniLmModel.DEFAULT_MAX_LENGTH, threads)) {
            try {
                model.hookpoint(hookpoint);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, "--hookpoint: " + e.getMessage());
            }
            List<TokenBatch> batches = new ArrayList<>();
            long tokens = 0;
            try (TextLines corpus = EuroparlCorpus.lines()) {
                corpus.next(400); // not the demo's held-out texts
                for (int i = 0; i < requests; i++) {
                    List<String> t = corpus.next(textsPerRequest);
                    if (t.isEmpty()) {
                        break;
                    }
                    TokenBatch b = model.tokenizer().encode(t);
                    tokens += b.tokens();
                    batches.add(b);
                }
            }
            SaeDictionary dict = sae != null ? SaeDictionary.load(sae) : train(model, out);
            FeatureIntervener iv = new FeatureIntervener(dict, null);
            String last = MiniLmModel.residPost(MiniLmModel.LAYERS - 1);
            List<FeatureEdit> clamp8 = new ArrayList<>();
            for (int j = 0; j < 8; j++) {
                clamp8.add(FeatureEdit.clamp(j * (dict.dSae() / 8), 1f));
            }
            try (SplitTransformer split = model.split(hookpoint)) {
                Map<String, Consumer<TokenBatch>> variants = new LinkedHashMap<>();
                variants.put("forward", b -> model.forward(b, Set.of(last)));
                variants.put("split, no edit", b -> iv.forward(split, b, List.of()));
                variants.put("split + steer 1", b -> iv.forward(split, b, List.of(FeatureEdit.steer(1, 2f))));
                variants.put("split + ablate 1", b -> iv.forward(split, b, List.of(FeatureEdit.ablate(1))));
                variants.put("split + clamp 8", b -> iv.forward(split, b, clamp8));
                Map<String, Timing> best = new LinkedHashMap<>();
                variants.forEach((name, v) -> v.accept(batches.get(0))); // warm-up
                for (int r = 0; r < rounds; r++) {
                    StringBuilder line = new StringBuilder("round " + (r + 1) + ":");
                    for (Map.Entry<String, Consumer<TokenBatch>> v : variants.entrySet()) {
                        Timing t = time(v.getValue(), batches);
                        best.merge(v.getKey(), t, (a, b) -> a.wallMs() <= b.wallMs() ? a : b);
                        line.append(String.format(Locale.ROOT, " %s %.2f ms", v.getKey(), t.wallMs()));
                    }
                    out.println(line);
                    out.flush();
                }
                double base = best.get("forward").wallMs();
                out.printf(Locale.ROOT, "%d requests of %d text(s), %.1f tokens/request, SAE %s d_sae %d at %s%n", batches.size(),
                        textsPerRequest, (double) tokens / batches.size(), dict.activation().architecture(), dict.dSae(), hookpoint);
                out.printf(Locale.ROOT, "%-18s %12s %12s %10s%n", "variant", "ms/request", "CPU ms/req", "vs forward");
                StringBuilder json = new StringBuilder(String.format(Locale.ROOT,
                        "{\"bench\":\"interventions\",\"hookpoint\":\"%s\",\"requests\":%d,\"texts_per_request\":%d,\"tokens_per_request\":%.1f,\"d_sae\":%d,\"architecture\":\"%s\"",
                        hookpoint, batches.size(), textsPerRequest, (double) tokens / batches.size(), dict.dSae(), dict.activation().architecture()));
                for (Map.Entry<String, Timing> e : best.entrySet()) {
                    out.printf(Locale.ROOT, "%-18s %12.2f %12.2f %+9.1f%%%n", e.getKey(), e.getValue().wallMs(), e.getValue().cpuMs(),
                            100 * (e.getValue().wallMs() / base - 1));
                    json.append(String.format(Locale.ROOT, ",\"%s_ms\":%.3f", e.getKey().replaceAll("[^a-z0-9]+", "_"), e.getValue().wallMs()));
                }
                out.println(json.append('}'));
            }
        }
        out.flush();
        return 0;
    }

    private static Timing time(Consumer<TokenBatch> variant, List<TokenBatch> batches) {
        double cpu0 = ProducerBench.processCpuSeconds();
        long t0 = System.nanoTime();
        for (TokenBatch b : batches) {
            variant.accept(b);
        }
        double wall = (System.nanoTime() - t0) / 1e6 / batches.size();
        return new Timing(wall, (ProducerBench.processCpuSeconds() - cpu0) * 1e3 / batches.size());
    }

    private SaeDictionary train(MiniLmModel model, PrintWriter out) {
        out.println("training a d_sae 3072, k 32 SAE on 256 corpus texts at " + hookpoint + " (no --sae given)");
        out.flush();
        float[] x;
        try (TextLines corpus = EuroparlCorpus.lines()) {
            corpus.next(400);
            x = model.forward(corpus.next(256), Set.of(hookpoint)).block(hookpoint).values();
        }
        int d = model.hookpoint(hookpoint).dIn();
        int rows = x.length / d;
        try (SaeTrainer trainer = SaeTrainer.create(new SaeConfig(d, 3072, 32, d / 2, 1_000_000, SaeConfig.DEFAULT_AUXK_COEFF,
                1e-3f, 5, 0f, 0, 0, true, 1L), x, rows)) {
            for (int from = 0; from + 512 <= rows; from += 512) {
                trainer.step(java.util.Arrays.copyOfRange(x, from * d, (from + 512) * d), 512);
            }
            return SaeDictionary.of(trainer.snapshot());
        }
    }

    /** Kernel, CPU, cores and JVM, for the record. */
    static String machine() {
        String cpu = "unknown CPU";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse(cpu);
        } catch (IOException | RuntimeException e) {
            // not Linux: leave it unknown
        }
        return String.format(Locale.ROOT, "machine: %s %s %s, %s, %d cores, Java %s", System.getProperty("os.name"),
                System.getProperty("os.version"), System.getProperty("os.arch"), cpu, Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"));
    }
}
