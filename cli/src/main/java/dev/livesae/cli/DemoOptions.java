package dev.livesae.cli;

import dev.livesae.clients.KafkaClientConfig;
import dev.livesae.engine.Architecture;
import java.nio.file.Path;

/**
 * Settings of one demo run; validated here so the command and tests share the checks.
 *
 * @param tokens           tokens to produce and train on
 * @param hookpoint        MiniLM hookpoint whose activations are learned
 * @param dSae             latents of the SAE
 * @param k                latents per token
 * @param batch            trainer minibatch rows
 * @param promoteEvery     trained tokens between promoted dictionary versions (0: keep version 0)
 * @param resampleEvery    trained tokens between dead-latent resamplings (0: off)
 * @param resampleMaxTimes resamplings at most
 * @param windowTokens     monitor window size in tokens
 * @param textsPerPass     sentences per model forward pass
 * @param heldOutTexts     sentences, not trained on, encoded at the end for top-activating contexts
 * @param topFeatures      features shown in the summary
 * @param contexts         contexts shown per feature
 * @param dataDir          where the checkpoint goes
 * @param trainerMetricsPort Prometheus endpoint of the trainer (0 = any free port, -1 = none)
 * @param monitorPort      HTTP endpoint of the monitor (/metrics, /features; 0 = any free port)
 * @param progressSeconds  seconds between progress lines
 * @param kafka            an existing Kafka to use (bootstrap and client properties), or null to start an
 *                         embedded broker
 * @param architecture     the trainer's {@code --architecture}
 * @param matryoshkaPrefixes the trainer's {@code --matryoshka-prefixes} (empty = its default)
 * @param serve            after the summary, keep broker, monitor and the explorer page running until Ctrl-C
 */
public record DemoOptions(long tokens, String hookpoint, int dSae, int k, int batch, long promoteEvery,
                          long resampleEvery, int resampleMaxTimes, int windowTokens,
                          int textsPerPass, int heldOutTexts, int topFeatures, int contexts, Path dataDir,
                          int trainerMetricsPort, int monitorPort, double progressSeconds, KafkaClientConfig kafka,
                          Architecture.Kind architecture, int[] matryoshkaPrefixes, boolean serve) {

    /** The demo resamples once, at half its default 200,000 tokens (its dead horizon is a quarter of --tokens). */
    public static final long DEFAULT_RESAMPLE_EVERY = 100_000;
    public static final int DEFAULT_RESAMPLE_MAX_TIMES = 1;

    /** A TopK demo with the default resampling that ends after the summary. */
    public DemoOptions(long tokens, String hookpoint, int dSae, int k, int batch, long promoteEvery, int windowTokens,
                       int textsPerPass, int heldOutTexts, int topFeatures, int contexts, Path dataDir,
                       int trainerMetricsPort, int monitorPort, double progressSeconds, KafkaClientConfig kafka) {
        this(tokens, hookpoint, dSae, k, batch, promoteEvery, DEFAULT_RESAMPLE_EVERY, DEFAULT_RESAMPLE_MAX_TIMES,
                windowTokens, textsPerPass, heldOutTexts, topFeatures,
                contexts, dataDir, trainerMetricsPort, monitorPort, progressSeconds, kafka, Architecture.Kind.TOPK,
                new int[0], false);
    }

    /** A demo that ends after the summary. */
    public DemoOptions(long tokens, String hookpoint, int dSae, int k, int batch, long promoteEvery,
                       long resampleEvery, int resampleMaxTimes, int windowTokens,
                       int textsPerPass, int heldOutTexts, int topFeatures, int contexts, Path dataDir,
                       int trainerMetricsPort, int monitorPort, double progressSeconds, KafkaClientConfig kafka,
                       Architecture.Kind architecture, int[] matryoshkaPrefixes) {
        this(tokens, hookpoint, dSae, k, batch, promoteEvery, resampleEvery, resampleMaxTimes, windowTokens, textsPerPass,
                heldOutTexts, topFeatures, contexts, dataDir, trainerMetricsPort, monitorPort, progressSeconds, kafka,
                architecture, matryoshkaPrefixes, false);
    }

    public DemoOptions {
        positive("--tokens", tokens);
        if (hookpoint == null || hookpoint.isBlank()) {
            throw new IllegalArgumentException("--hookpoint must be a MiniLM hookpoint name (got '" + hookpoint + "')");
        }
        positive("--d-sae", dSae);
        if (k < 1 || k > dSae) {
            throw new IllegalArgumentException("--k must be in [1, --d-sae=" + dSae + "] (got " + k + ")");
        }
        positive("--batch", batch);
        if (promoteEvery < 0) {
            throw new IllegalArgumentException("--promote-every must be >= 0 tokens, 0 keeping version 0 (got " + promoteEvery + ")");
        }
        if (resampleEvery < 0) {
            throw new IllegalArgumentException("--resample-every must be >= 0 tokens, 0 = off (got " + resampleEvery + ")");
        }
        if (resampleMaxTimes < 0) {
            throw new IllegalArgumentException("--resample-max-times must be >= 0 (got " + resampleMaxTimes + ")");
        }
        positive("--window-tokens", windowTokens);
        positive("--texts-per-pass", textsPerPass);
        if (heldOutTexts < 0) {
            throw new IllegalArgumentException("--held-out-texts must be >= 0 (got " + heldOutTexts + ")");
        }
        positive("--top-features", topFeatures);
        positive("--contexts", contexts);
        if (dataDir == null) {
            throw new IllegalArgumentException("--data-dir must be given");
        }
        port("--trainer-metrics-port", trainerMetricsPort, true);
        port("--monitor-port", monitorPort, false);
        if (!(progressSeconds > 0)) {
            throw new IllegalArgumentException("--progress-seconds must be > 0 (got " + progressSeconds + ")");
        }
        if (architecture == null) {
            throw new IllegalArgumentException("--architecture is required");
        }
        matryoshkaPrefixes = matryoshkaPrefixes == null ? new int[0] : matryoshkaPrefixes.clone();
        new Architecture(architecture, Architecture.DEFAULT_CANDIDATE_MULTIPLE, Architecture.DEFAULT_THRESHOLD_RATE,
                matryoshkaPrefixes).validate(dSae, k); // names the flag
    }

    @Override
    public int[] matryoshkaPrefixes() {
        return matryoshkaPrefixes.clone();
    }

    /** A copy that serves the explorer after the summary until stopped. */
    public DemoOptions serving() {
        return new DemoOptions(tokens, hookpoint, dSae, k, batch, promoteEvery, resampleEvery, resampleMaxTimes, windowTokens,
                textsPerPass, heldOutTexts, topFeatures, contexts, dataDir, trainerMetricsPort, monitorPort, progressSeconds,
                kafka, architecture, matryoshkaPrefixes, true);
    }

    private static void positive(String flag, long v) {
        if (v < 1) {
            throw new IllegalArgumentException(flag + " must be >= 1 (got " + v + ")");
        }
    }

    private static void port(String flag, int v, boolean allowNone) {
        if (v < (allowNone ? -1 : 0) || v > 65535) {
            throw new IllegalArgumentException(flag + " must be in [" + (allowNone ? "-1" : "0") + ", 65535] (got " + v + ")");
        }
    }
}
