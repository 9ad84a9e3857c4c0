package dev.livesae.cli;

import dev.livesae.engine.Architecture;
import dev.livesae.service.KafkaOptions;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sae demo}: the whole pipeline on this machine, in one command. */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run the whole pipeline in one process: embedded Kafka broker, all-MiniLM-L6-v2 over Europarl "
                + "text publishing one hookpoint, the online SAE trainer and the monitor. Prints live progress, writes the "
                + "checkpoint and ends with the top features and the held-out text that activates them most.",
                "Stops after --tokens or on Ctrl-C (which still trains what was sent, checkpoints and prints the summary); "
                        + "with --serve the feature explorer stays up after the summary until Ctrl-C."})
public final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--tokens", defaultValue = "200000",
            description = "Tokens to produce and train on; the bundled English Europarl holds about 250,000 after the held-out texts, "
                    + "and the demo says so if it runs out first (default: ${DEFAULT-VALUE}).")
    long tokens;

    @Option(names = "--hookpoint", defaultValue = "blocks.3.hook_resid_post",
            description = "MiniLM hookpoint to learn (see 'sae produce --list-hookpoints'; default: ${DEFAULT-VALUE}).")
    String hookpoint;

    @Option(names = "--d-sae", defaultValue = "3072", description = "Latents of the SAE (default: ${DEFAULT-VALUE}, 8 x d_in).")
    int dSae;

    @Option(names = "--k", defaultValue = "32", description = "Active latents per token (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--batch", defaultValue = "512", description = "Trainer minibatch rows (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--promote-every", defaultValue = "100000",
            description = "Trained tokens between promoted dictionary versions; 0 keeps version 0 (default: ${DEFAULT-VALUE}).")
    long promoteEvery;

    @Option(names = "--resample-every", paramLabel = "TOKENS", defaultValue = "" + DemoOptions.DEFAULT_RESAMPLE_EVERY,
            description = "Resample dead latents (silent for a quarter of --tokens) every this many trained tokens; "
                    + "0 = off (default: ${DEFAULT-VALUE}).")
    long resampleEvery;

    @Option(names = "--resample-max-times", paramLabel = "N", defaultValue = "" + DemoOptions.DEFAULT_RESAMPLE_MAX_TIMES,
            description = "Resample at most N times (default: ${DEFAULT-VALUE}).")
    int resampleMaxTimes;

    @Option(names = "--window-tokens", defaultValue = "10000", description = "Monitor window size in tokens (default: ${DEFAULT-VALUE}).")
    int windowTokens;

    @Option(names = "--texts-per-pass", defaultValue = "32", description = "Sentences per model forward pass (default: ${DEFAULT-VALUE}).")
    int textsPerPass;

    @Option(names = "--held-out-texts", defaultValue = "400",
            description = "Sentences after the training text, encoded at the end to find top-activating contexts (default: ${DEFAULT-VALUE}).")
    int heldOutTexts;

    @Option(names = "--top-features", defaultValue = "10", description = "Features shown in the summary (default: ${DEFAULT-VALUE}).")
    int topFeatures;

    @Option(names = "--contexts", defaultValue = "3", description = "Contexts shown per feature (default: ${DEFAULT-VALUE}).")
    int contexts;

    @Option(names = "--data-dir", description = "Where the checkpoint goes (default: sae-data/demo-<date-time>).")
    Path dataDir;

    @Option(names = "--trainer-metrics-port", defaultValue = "9402",
            description = "Trainer Prometheus endpoint on 127.0.0.1; 0 = any free port, -1 = none (default: ${DEFAULT-VALUE}).")
    int trainerMetricsPort;

    @Option(names = "--monitor-port", defaultValue = "9403",
            description = "Monitor HTTP endpoint (/metrics, /features) on 127.0.0.1; 0 = any free port (default: ${DEFAULT-VALUE}).")
    int monitorPort;

    @Option(names = "--serve", description = "After the summary, keep the broker, the monitor and its feature explorer page "
            + "running until Ctrl-C, and print the page's URL (default: off).")
    boolean serve;

    @Option(names = "--progress-seconds", defaultValue = "3", description = "Seconds between progress lines (default: ${DEFAULT-VALUE}).")
    double progressSeconds;

    @Option(names = "--architecture", paramLabel = "topk|batchtopk|matryoshka-batchtopk", defaultValue = "topk",
            description = "SAE architecture the trainer learns, as for sae train (default: ${DEFAULT-VALUE}).")
    String architecture;

    @Option(names = "--matryoshka-prefixes", paramLabel = "N,N,...",
            description = "Inner prefix sizes of a matryoshka-batchtopk SAE, as for sae train (default: d_sae/64,d_sae/16,d_sae/4).")
    String matryoshkaPrefixes;

    /** --bootstrap (an existing Kafka instead of an embedded broker; topics are created if missing), --kafka-config, --kafka-property */
    @Mixin
    KafkaOptions kafka = new KafkaOptions();

    @Override
    public Integer call() throws Exception {
        Path dir = dataDir != null ? dataDir
                : Path.of("sae-data", "demo-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        DemoOptions options;
        try {
            options = new DemoOptions(tokens, hookpoint, dSae, k, batch, promoteEvery, resampleEvery,
                    resampleMaxTimes, windowTokens, textsPerPass,
                    heldOutTexts, topFeatures, contexts, dir, trainerMetricsPort, monitorPort, progressSeconds,
                    kafka.given() ? kafka.clientConfig() : null, Architecture.Kind.parse(architecture),
                    Architecture.parsePrefixes(matryoshkaPrefixes), serve);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        Demo demo = new Demo(options, System.out);
        CountDownLatch done = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            demo.requestStop();
            try {
                done.await(3, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "livesae-demo-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            demo.run();
            return 0;
        } finally {
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook is running and waits for us
            }
        }
    }
}
