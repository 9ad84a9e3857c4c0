package dev.livesae.trainer;

import dev.livesae.clients.ClusterCheck;
import dev.livesae.service.KafkaConnectivity;
import java.io.PrintWriter;
import dev.livesae.service.KafkaOptions;
import dev.livesae.service.TopicOptions;
import dev.livesae.clients.KafkaClientConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import dev.livesae.engine.Architecture;
import dev.livesae.wire.Topics;

/** {@code sae train}: the online trainer service on the command line. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a TopK, BatchTopK or Matryoshka BatchTopK SAE online from an activation topic: shuffle buffer, atomic checkpoints with "
                + "offsets (exactly-once model state), dead-letter topic, codes out, Prometheus metrics.",
                "SIGTERM writes a final checkpoint. Restarting with the same --checkpoint-dir resumes exactly."})
public final class TrainCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(TrainCommand.class);

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka = new KafkaOptions();

    @Mixin
    TopicOptions topicOptions = new TopicOptions();

    @Option(names = "--topic", paramLabel = "T",
            description = "Activation topic (default: activations.<model>.<hookpoint> from --model/--hookpoint).")
    String topic;

    @Option(names = "--model", paramLabel = "M",
            description = "Model name; batches from another model are dead-lettered (default: the first batch's).")
    String model;

    @Option(names = "--hookpoint", paramLabel = "H",
            description = "Hookpoint name; batches from another hookpoint are dead-lettered (default: the first batch's).")
    String hookpoint;

    @Option(names = "--checkpoint-dir", paramLabel = "DIR",
            description = "Checkpoint root, resumed from if it holds a checkpoint (default: none; required unless --encode-only).")
    Path checkpointDir;

    @Option(names = "--d-sae", paramLabel = "N", description = "Number of latents (default: --expansion x d_in).")
    int dSae;

    @Option(names = "--expansion", paramLabel = "F",
            description = "Latents per input dimension when --d-sae is not given (default: 8).")
    double expansion;

    @Option(names = "--k", paramLabel = "K", defaultValue = "" + TrainerOptions.DEFAULT_K,
            description = "Latents kept per token (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "" + TrainerOptions.DEFAULT_BATCH,
            description = "Rows per training step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--shuffle-buffer", paramLabel = "ROWS", defaultValue = "" + TrainerOptions.DEFAULT_SHUFFLE_BUFFER,
            description = "Rows mixed across batches before training, 0 = no shuffling (default: ${DEFAULT-VALUE}).")
    int shuffleBuffer;

    @Option(names = "--checkpoint-every-tokens", paramLabel = "N",
            defaultValue = "" + TrainerOptions.DEFAULT_CHECKPOINT_EVERY_TOKENS,
            description = "Checkpoint after this many trained tokens, 0 = off (default: ${DEFAULT-VALUE}).")
    long checkpointEveryTokens;

    @Option(names = "--checkpoint-every-seconds", paramLabel = "T", defaultValue = "300",
            description = "Checkpoint after this many seconds, 0 = off (default: ${DEFAULT-VALUE}).")
    long checkpointEverySeconds;

    @Option(names = "--promote-every", paramLabel = "TOKENS", defaultValue = "" + TrainerOptions.DEFAULT_PROMOTE_EVERY,
            description = "Promote a new dictionary version for the codes every this many trained tokens; "
                    + "0 keeps version 0 (the initialised SAE) frozen (default: ${DEFAULT-VALUE}).")
    long promoteEvery;

    @Option(names = "--catch-up", paramLabel = "all|latest", defaultValue = "all",
            description = "all: train on every record (lag may grow); latest: past --max-lag, skip to recent data "
                    + "(default: ${DEFAULT-VALUE}).")
    String catchUp;

    @Option(names = "--max-lag", paramLabel = "RECORDS", defaultValue = "" + TrainerOptions.DEFAULT_MAX_LAG,
            description = "Lag (records, all partitions) that triggers --catch-up latest (default: ${DEFAULT-VALUE}).")
    long maxLag;

    @Option(names = "--metrics-port", paramLabel = "P", defaultValue = "-1",
            description = "Serve Prometheus /metrics on this port; 0 = any free port, -1 = off (default: ${DEFAULT-VALUE}).")
    int metricsPort;

    @Option(names = "--metrics-host", paramLabel = "H", defaultValue = TrainerOptions.DEFAULT_METRICS_HOST,
            description = "Address the metrics endpoint binds (default: ${DEFAULT-VALUE}).")
    String metricsHost;

    @Option(names = "--encode-only", description = "Do not train: encode with the frozen --sae and publish codes (default: off).")
    boolean encodeOnly;

    @Option(names = "--sae", paramLabel = "DIR",
            description = "Frozen SAE for --encode-only (ours, SAELens or sparsify layout) (default: none).")
    Path sae;

    @Option(names = "--dictionary-version", paramLabel = "V", defaultValue = "0",
            description = "Dictionary version stamped on codes in --encode-only mode (default: ${DEFAULT-VALUE}).")
    long dictionaryVersion;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "0",
            description = "Consume N valid tokens, train all of them, checkpoint and exit; 0 = run until stopped "
                    + "(default: ${DEFAULT-VALUE}).")
    long maxTokens;

    @Option(names = "--group-id", paramLabel = "G",
            description = "Consumer group for committed offsets (visibility only) (default: livesae-trainer.<topic>).")
    String groupId;

    @Option(names = "--seed", defaultValue = "" + TrainerOptions.DEFAULT_SEED,
            description = "Seed of the initial SAE and of the shuffle buffer (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--lr", defaultValue = "0",
            description = "Adam learning rate; 0 = engine default 2e-4/sqrt(n/2^14) (default: ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--warmup-steps", paramLabel = "N", defaultValue = "-1",
            description = "Learning-rate warm-up steps; -1 = engine default 1000 (default: ${DEFAULT-VALUE}).")
    long warmupSteps;

    @Option(names = "--dead-tokens", paramLabel = "N", defaultValue = "0",
            description = "A latent silent for this many tokens is dead (AuxK target); 0 = engine default 10M "
                    + "(default: ${DEFAULT-VALUE}).")
    long deadTokens;

    @Option(names = "--resample-every", paramLabel = "TOKENS", defaultValue = "" + TrainerOptions.DEFAULT_RESAMPLE_EVERY,
            description = "Resample dead latents every this many trained tokens (Anthropic's recipe: inputs drawn by squared "
                    + "loss from a reservoir of recent inputs); 0 = off (default: ${DEFAULT-VALUE}).")
    long resampleEvery;

    @Option(names = "--resample-max-times", paramLabel = "N", defaultValue = "" + TrainerOptions.DEFAULT_RESAMPLE_MAX_TIMES,
            description = "Resample at most N times; 0 = off (default: ${DEFAULT-VALUE}).")
    int resampleMaxTimes;

    @Option(names = "--sae-id", paramLabel = "ID",
            description = "Id stamped on codes (default: <hookpoint>.topk-<n>-k<k>-<random>, kept across restarts).")
    String saeId;

    @Option(names = "--no-codes", description = "Do not publish codes (default: publish to codes.<model>.<hookpoint>).")
    boolean noCodes;

    @Option(names = "--codes-sample", paramLabel = "N", defaultValue = "1",
            description = "Publish the codes of one token in N (each record's rows r with r %% N equal to a phase "
                    + "hashed from partition and offset); every published code is exact. 1 = every token; in [1, "
                    + TrainerOptions.MAX_CODES_SAMPLE + "] (default: ${DEFAULT-VALUE}).")
    int codesSample;

    @Option(names = "--max-batch-rows", paramLabel = "ROWS", defaultValue = "" + TrainerOptions.DEFAULT_MAX_BATCH_ROWS,
            description = "Records with more rows are dead-lettered as OVERSIZED (default: ${DEFAULT-VALUE}).")
    int maxBatchRows;

    @Option(names = "--progress-every-seconds", paramLabel = "S", defaultValue = "5",
            description = "Console progress interval (default: ${DEFAULT-VALUE}).")
    long progressEverySeconds;

    @Option(names = "--start", paramLabel = "earliest|latest", defaultValue = "earliest",
            description = "Where a trainer without a checkpoint starts reading (default: ${DEFAULT-VALUE}).")
    String start;

    @Option(names = "--commit-interval-ms", paramLabel = "MS", defaultValue = "1000",
            description = "Commit the transaction of codes and dead letters this often; read_committed consumers see "
                    + "outputs after it. In [10, 30000] (default: ${DEFAULT-VALUE}).")
    long commitIntervalMs;

    @Option(names = "--architecture", paramLabel = "topk|batchtopk|matryoshka-batchtopk", defaultValue = "topk",
            description = "SAE architecture: topk (k per token), batchtopk (k x batch per batch, exported as JumpReLU "
                    + "with a learned threshold), matryoshka-batchtopk (batchtopk with nested prefix losses) "
                    + "(default: ${DEFAULT-VALUE}).")
    String architecture;

    @Option(names = "--matryoshka-prefixes", paramLabel = "N,N,...",
            description = "Inner prefix sizes of a matryoshka-batchtopk dictionary, ascending, each < d_sae; the whole "
                    + "dictionary is the last prefix (default: d_sae/64,d_sae/16,d_sae/4).")
    String matryoshkaPrefixes;

    @Option(names = "--eval-rows", paramLabel = "ROWS", defaultValue = "" + TrainerOptions.DEFAULT_EVAL_ROWS,
            description = "Held-out rows (not yet trained, from the shuffle buffer) on which the SAEBench core metrics "
                    + "are computed at each promotion; 0 = off (default: ${DEFAULT-VALUE}).")
    int evalRows;

    @Option(names = "--eval-cosine-latents", paramLabel = "N", defaultValue = "" + TrainerOptions.DEFAULT_EVAL_COSINE_LATENTS,
            description = "Latents (evenly spaced) whose max cosine to any other encoder/decoder row is averaged at "
                    + "each promotion; all when d_sae <= N; 0 = skip (default: ${DEFAULT-VALUE}).")
    int evalCosineLatents;

    /** Validated options; a bad flag becomes a picocli ParameterException naming it. */
    TrainerOptions options() {
        String t = topic;
        if (t == null) {
            if (model == null || hookpoint == null) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--topic or both --model and --hookpoint are required");
            }
            t = Topics.activations(model, hookpoint);
        }
        if (checkpointEverySeconds < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--checkpoint-every-seconds must be >= 0 (got " + checkpointEverySeconds + ")");
        }
        try {
            KafkaClientConfig cfg = kafka.clientConfig();
            TrainerOptions.Builder b = TrainerOptions.builder(cfg.bootstrap(), t).kafkaProperties(cfg.userProperties())
                    .model(model).hookpoint(hookpoint).checkpointDir(checkpointDir)
                    .dSae(dSae).expansion(expansion).k(k).batch(batch).shuffleBuffer(shuffleBuffer)
                    .checkpointEveryTokens(checkpointEveryTokens)
                    .checkpointEvery(Duration.ofSeconds(checkpointEverySeconds))
                    .promoteEvery(promoteEvery).catchUp(CatchUpPolicy.parse(catchUp)).maxLag(maxLag)
                    .metricsPort(metricsPort).metricsHost(metricsHost)
                    .dictionaryVersion(dictionaryVersion).maxTokens(maxTokens).groupId(groupId).seed(seed).lr(lr)
                    .warmupSteps(warmupSteps).deadTokens(deadTokens)
                    .resampleEvery(resampleEvery).resampleMaxTimes(resampleMaxTimes)
                    .saeId(saeId).emitCodes(!noCodes).codesSample(codesSample).maxBatchRows(maxBatchRows)
                    .progressEvery(Duration.ofSeconds(progressEverySeconds)).start(StartPosition.parse(start))
                    .commitInterval(Duration.ofMillis(commitIntervalMs))
                    .architecture(Architecture.Kind.parse(architecture))
                    .matryoshkaPrefixes(Architecture.parsePrefixes(matryoshkaPrefixes))
                    .evalRows(evalRows).evalCosineLatents(evalCosineLatents);
            if (encodeOnly) {
                if (sae == null) {
                    throw new IllegalArgumentException("--encode-only needs --sae DIR");
                }
                b.encodeOnly(sae);
            } else if (sae != null) {
                throw new IllegalArgumentException("--sae is only for --encode-only (got " + sae + ")");
            }
            TrainerOptions built = b.build();
            TrainerClients.consumerConfig(built); // a user property the trainer owns is refused here, naming it
            TrainerClients.producerConfig(built);
            topicOptions.settings();
            return built;
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    @Override
    public Integer call() throws Exception {
        TrainerOptions opts = options();
        ClusterCheck.awaitCluster(opts.kafka(), ClusterCheck.DEFAULT_TIMEOUT);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TrainerService service = new TrainerService(opts, registry, topicOptions.settings());
        // says once per interval (log, progress line, livesae_kafka_connected) when the cluster goes away later
        KafkaConnectivity connectivity = KafkaConnectivity.start(opts.kafka(), "trainer", registry, KafkaConnectivity.DEFAULT_INTERVAL);
        PrintWriter out = spec.commandLine().getOut();
        service.onProgress(p -> {
            out.println("[train] " + p.line() + connectivity.statusSuffix());
            out.flush();
        });
        Thread hook = new Thread(() -> {
            log.info("shutdown requested: writing a final checkpoint");
            service.stop();
            try {
                service.finished().get(120, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                log.error("final checkpoint did not finish within 120 s");
            } catch (Exception e) {
                // run() already reported it
            }
        }, "livesae-trainer-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            TrainerProgress last = service.run();
            out.println("[train] done: " + last.line());
            out.flush();
            return 0;
        } finally {
            connectivity.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down; the hook is running
            }
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new TrainCommand()).execute(args));
    }
}
