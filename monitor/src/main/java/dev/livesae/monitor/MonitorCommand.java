package dev.livesae.monitor;

import dev.livesae.service.HttpAuth;
import dev.livesae.service.ServiceHttpServer;
import dev.livesae.clients.ClusterCheck;
import dev.livesae.service.KafkaConnectivity;
import dev.livesae.service.TopicOptions;
import dev.livesae.clients.KafkaClientConfig;
import dev.livesae.service.KafkaOptions;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import dev.livesae.wire.DecodeLimits;
import dev.livesae.wire.Topics;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sae monitor}: feature telemetry and drift over code topics until Ctrl-C. */
@Command(name = "monitor", mixinStandardHelpOptions = true,
        description = {"Kafka Streams feature telemetry over code topics: count-based windows of W tokens per SAE, "
                + "hookpoint and dictionary version; density, L0, dead/dense fractions, reconstruction error, "
                + "PSI and Jensen-Shannon distances and a calibrated drift test (a stated false-alarm rate per window) "
                + "against a baseline.",
                "Writes window summaries to telemetry.windows.<model>.<hookpoint>, drift events to "
                        + "telemetry.drift.<model>.<hookpoint>, bad records to dlq.<topic>; serves /metrics, /health, "
                        + "/features/{id}, /features/top, /drift and the feature explorer page at / over HTTP. Runs until Ctrl-C."})
public final class MonitorCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka = new KafkaOptions();

    @Option(names = "--model", description = "Model name; with --hookpoint reads topic codes.<model>.<hookpoint>.")
    String model;

    @Option(names = "--hookpoint", description = "Hookpoint name; with --model reads topic codes.<model>.<hookpoint>.")
    String hookpoint;

    @Option(names = "--topic", paramLabel = "TOPIC", description = "Code topic to read (repeatable), instead of --model/--hookpoint.")
    List<String> topics;

    @Option(names = "--topic-pattern", paramLabel = "REGEX", description = "Read every topic matching this regex, e.g. 'codes\\..*'.")
    String topicPattern;

    @Option(names = "--window-tokens", defaultValue = "" + MonitorOptions.DEFAULT_WINDOW_TOKENS, paramLabel = "W",
            description = "Tokens per window, per SAE, hookpoint and dictionary version (default: ${DEFAULT-VALUE}).")
    int windowTokens;

    @Option(names = "--baseline-tokens", paramLabel = "B",
            description = "First tokens of each dictionary version that form its baseline when none is pinned (default: W).")
    Integer baselineTokens;

    @Option(names = "--dead-horizon-tokens", paramLabel = "H",
            description = "A latent is dead if it has not fired in the last H tokens (default: 10 x W).")
    Long deadHorizonTokens;

    @Option(names = "--dense-threshold", defaultValue = "" + MonitorOptions.DEFAULT_DENSE_THRESHOLD, paramLabel = "F",
            description = "A latent is dense if it fires on more than this fraction of a window's tokens (default: ${DEFAULT-VALUE}).")
    double denseThreshold;

    @Option(names = "--top-n", defaultValue = "" + MonitorOptions.DEFAULT_TOP_N, paramLabel = "N",
            description = "Most frequent features listed in each window summary (default: ${DEFAULT-VALUE}).")
    int topN;

    @Option(names = "--baseline-file", paramLabel = "FILE",
            description = "Pinned baseline JSON (saeId, dictionaryVersion, tokens, firingCounts; a window summary works). Default: none.")
    Path baselineFile;

    @Option(names = "--drift-false-alarm-rate", defaultValue = "" + DriftOptions.DEFAULT_FALSE_ALARM_RATE, paramLabel = "ALPHA",
            description = "Probability that a window of stationary traffic is declared drifted; the drift test's level "
                    + "per window, in (0, 0.5] (default: ${DEFAULT-VALUE}).")
    double driftFalseAlarmRate;

    @Option(names = "--drift-baseline-windows", defaultValue = "0", paramLabel = "N",
            description = "Compare each window with the previous N closed windows (a rolling baseline, for slowly "
                    + "changing traffic), 0..100; 0 = the first --baseline-tokens tokens of each dictionary version. "
                    + "A pinned baseline wins over both (default: ${DEFAULT-VALUE}).")
    int driftBaselineWindows;

    @Option(names = "--drift-movers", defaultValue = "" + DriftOptions.DEFAULT_MOVERS, paramLabel = "N",
            description = "Latents that moved most, named in each drift event and on /drift, 0..1000 (default: ${DEFAULT-VALUE}).")
    int driftMovers;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Kafka Streams state directory (default: a temporary directory deleted at exit).")
    Path stateDir;

    @Option(names = "--application-id", defaultValue = MonitorOptions.DEFAULT_APPLICATION_ID, paramLabel = "ID",
            description = "Kafka Streams application.id: consumer group and internal topic prefix (default: ${DEFAULT-VALUE}).")
    String applicationId;

    @Option(names = "--metrics-port", defaultValue = "" + MonitorOptions.DEFAULT_METRICS_PORT, paramLabel = "PORT",
            description = "Port of the HTTP endpoint (/metrics, /health, /features); 0 = any free port, -1 = none (default: ${DEFAULT-VALUE}).")
    int metricsPort;

    @Option(names = "--metrics-host", defaultValue = MonitorOptions.DEFAULT_METRICS_HOST, paramLabel = "HOST",
            description = "Address the HTTP endpoint binds (default: ${DEFAULT-VALUE}).")
    String metricsHost;

    @Option(names = "--max-saes", defaultValue = "" + MonitorOptions.DEFAULT_MAX_SAES, paramLabel = "N",
            description = "SAE streams (sae_id at a hookpoint) this instance tracks; codes of further ones are "
                    + "dead-lettered TOO_MANY_SAES and create no state or series (default: ${DEFAULT-VALUE}).")
    int maxSaes;

    @Option(names = "--sae-partitions", defaultValue = "" + MonitorOptions.DEFAULT_SAE_PARTITIONS, paramLabel = "N",
            description = "Partitions of the internal topic that routes decoded codes by SAE, so monitor instances with the "
                    + "same --application-id share SAEs (at most N busy instances); 0 = tasks follow the input partitions "
                    + "(default: ${DEFAULT-VALUE}).")
    int saePartitions;

    @Option(names = "--max-record-bytes", defaultValue = "" + DecodeLimits.DEFAULT_MAX_RECORD_BYTES, paramLabel = "BYTES",
            description = "Largest code record accepted, and the most its decoding may allocate (compressed bodies "
                    + "expanded); larger ones are dead-lettered RECORD_TOO_LARGE / DECODED_TOO_LARGE (default: ${DEFAULT-VALUE}).")
    long maxRecordBytes;

    @Option(names = "--max-d-sae", defaultValue = "" + DecodeLimits.DEFAULT_MAX_D_SAE, paramLabel = "N",
            description = "Largest d_sae (latents) accepted; the state of one SAE is ~40 bytes per latent "
                    + "(default: ${DEFAULT-VALUE}).")
    int maxDSae;

    @Option(names = "--max-k", defaultValue = "" + DecodeLimits.DEFAULT_MAX_K, paramLabel = "K",
            description = "Largest k (latents per token) accepted (default: ${DEFAULT-VALUE}).")
    int maxK;

    @Option(names = "--contexts", defaultValue = "on", paramLabel = "on|off",
            description = "Keep, per feature, the top activating examples and a sample per activation quantile, each a window "
                    + "of token ids around the firing token (user text), and an activation histogram, for the explorer at / "
                    + "and /features/{id}; off keeps every telemetry number and stores no text (default: ${DEFAULT-VALUE}).")
    String contexts;

    @Option(names = "--context-retention", defaultValue = "7d", paramLabel = "DURATION",
            description = "Examples older than this (their code record's timestamp) are dropped from the store, e.g. 7d, 12h, "
                    + "90m or P7D (default: ${DEFAULT-VALUE}).")
    String contextRetention;

    @Option(names = "--context-examples", defaultValue = "" + ContextOptions.DEFAULT_TOP_EXAMPLES, paramLabel = "N",
            description = "Highest-activation examples kept per feature, 1..200; the quantile sample adds "
                    + ContextOptions.QUANTILE_BINS + " x " + ContextOptions.DEFAULT_SAMPLES_PER_BIN + " (default: ${DEFAULT-VALUE}).")
    int contextExamples;

    @Option(names = HttpAuth.FILE_FLAG, paramLabel = "FILE",
            description = "File holding the credentials the explorer and the JSON routes require: one line 'bearer <token>' "
                    + "or 'basic <user>:<password>'; else the environment variable " + HttpAuth.ENV + ". Required when "
                    + "--metrics-host is not a loopback address and --contexts is on. /metrics and /health stay open.")
    Path httpCredentialsFile;

    @Mixin
    TopicOptions topicOptions = new TopicOptions();

    /** The environment {@link HttpAuth#ENV} is read from (tests replace it). */
    Map<String, String> environment = System.getenv();

    private final CountDownLatch stopRequested = new CountDownLatch(1);

    /** Stops a running {@link #call()} as Ctrl-C would, without a JVM shutdown (for embedding and tests). */
    public void requestStop() {
        stopRequested.countDown();
    }

    /** The options these flags describe; a bad value is a {@link CommandLine.ParameterException} naming its flag. */
    MonitorOptions options() {
        boolean modelHook = model != null || hookpoint != null;
        if (modelHook && (model == null || hookpoint == null)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--model and --hookpoint must be given together (got --model " + model + ", --hookpoint " + hookpoint + ")");
        }
        int sources = (modelHook ? 1 : 0) + (topics != null && !topics.isEmpty() ? 1 : 0) + (topicPattern != null ? 1 : 0);
        if (sources != 1) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "exactly one of --model/--hookpoint, --topic and --topic-pattern must be given (got " + sources + ")");
        }
        if (baselineFile != null && !Files.isReadable(baselineFile)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--baseline-file must be a readable file (got " + baselineFile + ")");
        }
        if (windowTokens < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--window-tokens must be >= 1 (got " + windowTokens + ")");
        }
        if (maxRecordBytes < 1024 || maxRecordBytes > DecodeLimits.MAX_RECORD_BYTES_LIMIT) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-record-bytes must be in [1024, "
                    + DecodeLimits.MAX_RECORD_BYTES_LIMIT + "] (got " + maxRecordBytes + ")");
        }
        if (maxDSae < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-d-sae must be >= 1 (got " + maxDSae + ")");
        }
        if (maxK < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-k must be >= 1 (got " + maxK + ")");
        }
        try {
            List<String> t = modelHook ? List.of(Topics.codes(model, hookpoint)) : topics;
            KafkaClientConfig cfg = kafka.clientConfig();
            MonitorOptions o = new MonitorOptions(cfg.bootstrap(), t, topicPattern, windowTokens,
                    baselineTokens == null ? windowTokens : baselineTokens,
                    deadHorizonTokens == null ? (long) MonitorOptions.DEFAULT_DEAD_HORIZON_WINDOWS * windowTokens : deadHorizonTokens,
                    denseThreshold, topN, baselineFile, stateDir, applicationId, metricsHost, metricsPort,
                    cfg.userProperties(), maxSaes, MonitorOptions.DEFAULT_DECODE_LIMITS.withMaxRecordBytes(maxRecordBytes)
                            .withMaxDimensions(DecodeLimits.DEFAULT_MAX_D_IN, maxDSae, maxK),
                    new DriftOptions(driftFalseAlarmRate, driftBaselineWindows, driftMovers), saePartitions,
                    contextOptions(), HttpAuth.load(httpCredentialsFile, environment));
            if (baselineFile != null) {
                Baseline.read(baselineFile);
            }
            MonitorTopology.streamsConfig(o, Map.of()); // a user property the monitor owns is refused here, naming it
            topicOptions.settings();
            return o;
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private ContextOptions contextOptions() {
        boolean on = switch (contexts == null ? "" : contexts.toLowerCase(java.util.Locale.ROOT)) {
            case "on" -> true;
            case "off" -> false;
            default -> throw new IllegalArgumentException("--contexts must be on or off (got " + contexts + ")");
        };
        return ContextOptions.DEFAULTS.withEnabled(on).withRetention(ContextOptions.parseDuration(contextRetention))
                .withTopExamples(contextExamples);
    }

    /** Kafka clients log their whole configuration at INFO; keep WARN unless the user set a level. */
    public static void quietKafkaLogs() {
        for (String logger : new String[] {"org.apache.kafka", "kafka"}) {
            System.getProperties().putIfAbsent("org.slf4j.simpleLogger.log." + logger, "warn");
        }
    }

    @Override
    public Integer call() throws Exception {
        MonitorOptions options = options();
        quietKafkaLogs();
        PrintWriter out = spec.commandLine().getOut();
        ClusterCheck.awaitCluster(options.kafka(), ClusterCheck.DEFAULT_TIMEOUT);
        MonitorService service = MonitorService.start(options, topicOptions.settings(), Map.of(), TelemetryListener.NONE);
        // says once per interval (log, livesae_kafka_connected) when the cluster goes away later
        KafkaConnectivity connectivity = KafkaConnectivity.start(options.kafka(), "monitor", service.registry(),
                KafkaConnectivity.DEFAULT_INTERVAL);
        CountDownLatch closed = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stopRequested.countDown();
            try {
                closed.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "monitor-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            out.printf("monitor: reading %s on %s%n", options.topicPattern() != null ? "pattern " + options.topicPattern()
                    : String.join(",", options.topics()), options.bootstrap());
            if (options.metricsPort() != ServiceHttpServer.OFF) {
                out.printf("monitor: %s/metrics  %s/features/top?n=20  %s/health%n", service.httpUri(), service.httpUri(),
                        service.httpUri());
                out.printf("monitor: feature explorer %s%s%n", service.pageUri(),
                        options.httpAuth() == null ? "" : " (" + options.httpAuth().scheme() + " credentials required)");
            }
            out.println("Ready");
            out.flush();
            stopRequested.await();
        } finally {
            connectivity.close();
            service.close();
            closed.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running
            }
        }
        return 0;
    }
}
