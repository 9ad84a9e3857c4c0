package dev.livesae.trainer;

import dev.livesae.clients.ClientProperties;
import dev.livesae.clients.KafkaClientConfig;
import java.util.Map;

import java.nio.file.Path;
import java.time.Duration;

import dev.livesae.engine.Architecture;
import dev.livesae.engine.SaeConfig;

/**
 * Everything a {@link TrainerService} needs, validated once: every bad value is rejected here with a message
 * naming the command-line flag. Build with {@link #builder(String, String)} for in-process use; the
 * {@code sae train} command fills the same builder from flags.
 *
 * @param topic            activation topic ({@code --topic}, or {@code Topics.activations(--model, --hookpoint)})
 * @param model            expected {@code ActivationMeta.model}, or null to accept the first one seen
 * @param hookpoint        expected {@code ActivationMeta.hookpoint}, or null to accept the first one seen
 * @param checkpointDir    checkpoint root; may be null only in encode-only mode
 * @param dSae             number of latents, or 0 to use {@code expansion * dIn}
 * @param expansion        latents per input dimension when {@code dSae} is 0
 * @param shuffleBuffer    rows held for mixing across batches (0 = no shuffling)
 * @param checkpointEveryTokens checkpoint after this many trained tokens (0 = only by time / at exit)
 * @param checkpointEvery  checkpoint after this much time (zero = only by tokens / at exit)
 * @param promoteEvery     promote a new dictionary version every this many trained tokens (0 = keep version 0)
 * @param maxLag           lag (records) beyond which {@link CatchUpPolicy#LATEST} skips ahead
 * @param metricsPort      Prometheus endpoint port; -1 = no endpoint, 0 = any free port
 * @param maxTokens        consume this many valid tokens, train them all (the buffer is drained), checkpoint
 *                         and stop; 0 = run until stopped
 * @param lr               learning rate, or 0 for the engine default
 * @param warmupSteps      learning-rate warm-up steps, or -1 for the engine default (1000)
 * @param deadTokens       a latent that has not fired in this many tokens is dead (AuxK, dead fraction);
 *                         0 = engine default (10M)
 * @param resampleEvery    resample dead latents every this many trained tokens (0 = never)
 * @param resampleMaxTimes resample at most this many times
 * @param saeId            id written into every CodeBatch, or null to derive one
 * @param codesSample      publish the codes of one token in this many (1 = every token): per record, the rows
 *                         {@code r} with {@code r % codesSample == phase}, the phase a hash of partition and offset
 *                         (docs/trainer.md, "Sampled codes")
 * @param maxBatchRows     records with more rows are dead-lettered as OVERSIZED
 * @param sae              encode-only: the frozen SAE directory (any format {@code Sae.load} accepts)
 * @param dictionaryVersion encode-only: the version stamped on codes
 * @param commitInterval   commit the transaction of codes and dead letters this often (read_committed consumers
 *                         see outputs after the commit); every checkpoint commits too
 * @param kafkaProperties  the user's Kafka client properties ({@code --kafka-config}, {@code --kafka-property}),
 *                         applied to every client the trainer creates
 * @param architecture     {@code --architecture}: topk, batchtopk or matryoshka-batchtopk
 * @param matryoshkaPrefixes {@code --matryoshka-prefixes}: inner prefix sizes of a Matryoshka dictionary
 *                         (empty = n/64, n/16, n/4)
 * @param evalRows         {@code --eval-rows}: held-out rows (the shuffle buffer's untrained rows) the core
 *                         metrics are computed on at each promotion; 0 turns the evaluation off
 * @param evalCosineLatents {@code --eval-cosine-latents}: latents whose max encoder/decoder cosine is computed at
 *                         each promotion (evenly spaced; all when d_sae is at most this; 0 = skip the two metrics)
 */
public record TrainerOptions(
        String bootstrap,
        String topic,
        String model,
        String hookpoint,
        Path checkpointDir,
        int dSae,
        double expansion,
        int k,
        int batch,
        int shuffleBuffer,
        long checkpointEveryTokens,
        Duration checkpointEvery,
        long promoteEvery,
        CatchUpPolicy catchUp,
        long maxLag,
        int metricsPort,
        String metricsHost,
        boolean encodeOnly,
        Path sae,
        long dictionaryVersion,
        long maxTokens,
        String groupId,
        long seed,
        float lr,
        long warmupSteps,
        long deadTokens,
        long resampleEvery,
        int resampleMaxTimes,
        String saeId,
        boolean emitCodes,
        int codesSample,
        int maxBatchRows,
        Duration progressEvery,
        StartPosition start,
        Map<String, String> kafkaProperties,
        Duration commitInterval,
        Architecture.Kind architecture,
        int[] matryoshkaPrefixes,
        int evalRows,
        int evalCosineLatents) {

    public static final double DEFAULT_EXPANSION = 8;
    public static final int DEFAULT_K = 32;
    public static final int DEFAULT_BATCH = 4096;
    public static final int DEFAULT_SHUFFLE_BUFFER = 16384;
    public static final long DEFAULT_CHECKPOINT_EVERY_TOKENS = 10_000_000L;
    public static final Duration DEFAULT_CHECKPOINT_EVERY = Duration.ofMinutes(5);
    public static final long DEFAULT_PROMOTE_EVERY = 1_000_000L;
    public static final long DEFAULT_MAX_LAG = 1000;
    public static final String DEFAULT_METRICS_HOST = "127.0.0.1";
    public static final long DEFAULT_SEED = 42;
    /** 2.5 x the default dead threshold of 10M tokens, as measured in docs/trainer.md (Resampling). */
    public static final long DEFAULT_RESAMPLE_EVERY = 25_000_000L;
    public static final int DEFAULT_RESAMPLE_MAX_TIMES = 4;
    public static final int DEFAULT_MAX_BATCH_ROWS = 65536;
    public static final Duration DEFAULT_PROGRESS_EVERY = Duration.ofSeconds(5);
    /** One code per this many tokens at most: beyond it a record of a few thousand rows publishes almost nothing. */
    public static final int MAX_CODES_SAMPLE = 1024;
    public static final Duration DEFAULT_COMMIT_INTERVAL = Duration.ofSeconds(1);
    public static final int DEFAULT_EVAL_ROWS = 4096;
    /** A 2·4096·24576·768 gemm per matrix at the bench shape, about 0.5 s (docs/trainer.md, core metrics). */
    public static final int DEFAULT_EVAL_COSINE_LATENTS = 4096;
    /** Below the transaction timeout with room for a slow step and the commit itself. */
    public static final Duration MAX_COMMIT_INTERVAL = Duration.ofSeconds(30);

    public TrainerOptions {
        kafkaProperties = ClientProperties.of(kafkaProperties); // toString masks secrets
        bootstrap = KafkaClientConfig.of(bootstrap, kafkaProperties).bootstrap(); // validates; names --bootstrap
        requireText(topic, "--topic");
        if (!topic.matches("[A-Za-z0-9._-]{1,249}")) {
            throw new IllegalArgumentException("--topic must match [A-Za-z0-9._-]{1,249} (got " + topic + ")");
        }
        if (encodeOnly) {
            if (sae == null) {
                throw new IllegalArgumentException("--encode-only needs --sae DIR");
            }
        } else {
            if (sae != null) {
                throw new IllegalArgumentException("--sae is only for --encode-only (got " + sae + ")");
            }
            if (checkpointDir == null) {
                throw new IllegalArgumentException("--checkpoint-dir is required unless --encode-only");
            }
        }
        if (dSae < 0) {
            throw new IllegalArgumentException("--d-sae must be >= 1 (got " + dSae + ")");
        }
        if (dSae > 0 && expansion != 0) {
            throw new IllegalArgumentException("give --d-sae or --expansion, not both (got " + dSae + " and " + expansion + ")");
        }
        if (dSae == 0 && expansion == 0) {
            expansion = DEFAULT_EXPANSION;
        }
        if (dSae == 0 && !(expansion > 0 && expansion <= 1024)) {
            throw new IllegalArgumentException("--expansion must be in (0, 1024] (got " + expansion + ")");
        }
        if (k < 1) {
            throw new IllegalArgumentException("--k must be >= 1 (got " + k + ")");
        }
        if (dSae > 0 && k > dSae) {
            throw new IllegalArgumentException("--k must be <= --d-sae " + dSae + " (got " + k + ")");
        }
        if (batch < 1 || batch > 1 << 20) {
            throw new IllegalArgumentException("--batch must be in [1, 1048576] (got " + batch + ")");
        }
        if (shuffleBuffer < 0 || shuffleBuffer > 1 << 24) {
            throw new IllegalArgumentException("--shuffle-buffer must be in [0, 16777216] (got " + shuffleBuffer + ")");
        }
        if (checkpointEveryTokens < 0) {
            throw new IllegalArgumentException("--checkpoint-every-tokens must be >= 0 (got " + checkpointEveryTokens + ")");
        }
        requireSet(checkpointEvery, "--checkpoint-every-seconds");
        if (checkpointEvery.isNegative()) {
            throw new IllegalArgumentException("--checkpoint-every-seconds must be >= 0 (got " + checkpointEvery.toSeconds() + ")");
        }
        if (promoteEvery < 0) {
            throw new IllegalArgumentException("--promote-every must be >= 0 (got " + promoteEvery + ")");
        }
        requireSet(catchUp, "--catch-up");
        if (maxLag < 0) {
            throw new IllegalArgumentException("--max-lag must be >= 0 (got " + maxLag + ")");
        }
        if (metricsPort < -1 || metricsPort > 65535) {
            throw new IllegalArgumentException("--metrics-port must be -1 (off), 0 (any) or 1..65535 (got " + metricsPort + ")");
        }
        requireText(metricsHost, "--metrics-host");
        if (dictionaryVersion < 0) {
            throw new IllegalArgumentException("--dictionary-version must be >= 0 (got " + dictionaryVersion + ")");
        }
        if (maxTokens < 0) {
            throw new IllegalArgumentException("--max-tokens must be >= 0 (got " + maxTokens + ")");
        }
        if (groupId == null || groupId.isBlank()) {
            groupId = "livesae-trainer." + topic;
        }
        if (!(lr >= 0 && lr < 1)) {
            throw new IllegalArgumentException("--lr must be in [0, 1) (0 = engine default) (got " + lr + ")");
        }
        if (warmupSteps < -1) {
            throw new IllegalArgumentException("--warmup-steps must be >= 0, or -1 for the default (got " + warmupSteps + ")");
        }
        if (deadTokens < 0) {
            throw new IllegalArgumentException("--dead-tokens must be >= 0, 0 for the default (got " + deadTokens + ")");
        }
        if (resampleEvery < 0) {
            throw new IllegalArgumentException("--resample-every must be >= 0 tokens, 0 = off (got " + resampleEvery + ")");
        }
        if (resampleMaxTimes < 0) {
            throw new IllegalArgumentException("--resample-max-times must be >= 0 (got " + resampleMaxTimes + ")");
        }
        if (saeId != null && saeId.isBlank()) {
            throw new IllegalArgumentException("--sae-id must not be blank");
        }
        if (maxBatchRows < 1) {
            throw new IllegalArgumentException("--max-batch-rows must be >= 1 (got " + maxBatchRows + ")");
        }
        requireSet(progressEvery, "--progress-every-seconds");
        if (progressEvery.isNegative() || progressEvery.isZero()) {
            throw new IllegalArgumentException("--progress-every-seconds must be > 0 (got " + progressEvery.toSeconds() + ")");
        }
        if (codesSample < 1 || codesSample > MAX_CODES_SAMPLE) {
            throw new IllegalArgumentException("--codes-sample must be in [1, " + MAX_CODES_SAMPLE + "] (got "
                    + codesSample + ")");
        }
        requireSet(start, "--start");
        requireSet(commitInterval, "--commit-interval-ms");
        if (commitInterval.toMillis() < 10 || commitInterval.compareTo(MAX_COMMIT_INTERVAL) > 0) {
            throw new IllegalArgumentException("--commit-interval-ms must be in [10, " + MAX_COMMIT_INTERVAL.toMillis()
                    + "] (got " + commitInterval.toMillis() + ")");
        }
        requireSet(architecture, "--architecture");
        matryoshkaPrefixes = matryoshkaPrefixes == null ? new int[0] : matryoshkaPrefixes.clone();
        Architecture arch = new Architecture(architecture, Architecture.DEFAULT_CANDIDATE_MULTIPLE,
                Architecture.DEFAULT_THRESHOLD_RATE, matryoshkaPrefixes); // names the flags on bad values
        if (dSae > 0) {
            arch.validate(dSae, k);
        }
        if (evalRows < 0 || evalRows > 1 << 20) {
            throw new IllegalArgumentException("--eval-rows must be in [0, 1048576] (got " + evalRows + ")");
        }
        if (evalCosineLatents < 0) {
            throw new IllegalArgumentException("--eval-cosine-latents must be >= 0 (got " + evalCosineLatents + ")");
        }
    }

    /** The architecture with its prefixes (candidates and threshold rate at the engine's defaults). */
    public Architecture arch() {
        return new Architecture(architecture, Architecture.DEFAULT_CANDIDATE_MULTIPLE,
                Architecture.DEFAULT_THRESHOLD_RATE, matryoshkaPrefixes);
    }

    @Override
    public int[] matryoshkaPrefixes() {
        return matryoshkaPrefixes.clone();
    }

    private static void requireSet(Object o, String flag) {
        if (o == null) {
            throw new IllegalArgumentException(flag + " is required");
        }
    }

    private static void requireText(String s, String flag) {
        if (s == null || s.isBlank()) {
            throw new IllegalArgumentException(flag + " is required");
        }
    }

    /** Number of latents for input width {@code dIn}. */
    public int dSaeFor(int dIn) {
        int n = dSae > 0 ? dSae : (int) Math.round(expansion * dIn);
        if (k > n) {
            throw new IllegalArgumentException("--k must be <= d_sae " + n + " (got " + k + ")");
        }
        arch().validate(n, k);
        return n;
    }

    /** Where every Kafka client of this trainer gets its configuration. */
    public KafkaClientConfig kafka() {
        return KafkaClientConfig.of(bootstrap, kafkaProperties);
    }

    /** The engine configuration for input width {@code dIn}: engine defaults overridden by these options. */
    public SaeConfig saeConfig(int dIn) {
        SaeConfig def = SaeConfig.defaults(dIn, dSaeFor(dIn), k);
        return new SaeConfig(dIn, def.dSae(), k, def.kAux(), deadTokens > 0 ? deadTokens : def.deadTokensThreshold(),
                def.auxKCoeff(), lr, warmupSteps >= 0 ? warmupSteps : def.warmupSteps(), def.clipGradNorm(),
                resampleEvery, resampleMaxTimes, def.auxK(), seed);
    }

    public static Builder builder(String bootstrap, String topic) {
        return new Builder(bootstrap, topic);
    }

    /** Mutable builder with the documented defaults; {@link #build()} validates. */
    public static final class Builder {
        private final String bootstrap;
        private final String topic;
        private String model;
        private String hookpoint;
        private Path checkpointDir;
        private int dSae;
        private double expansion;
        private int k = DEFAULT_K;
        private int batch = DEFAULT_BATCH;
        private int shuffleBuffer = DEFAULT_SHUFFLE_BUFFER;
        private long checkpointEveryTokens = DEFAULT_CHECKPOINT_EVERY_TOKENS;
        private Duration checkpointEvery = DEFAULT_CHECKPOINT_EVERY;
        private long promoteEvery = DEFAULT_PROMOTE_EVERY;
        private CatchUpPolicy catchUp = CatchUpPolicy.ALL;
        private long maxLag = DEFAULT_MAX_LAG;
        private int metricsPort = -1;
        private String metricsHost = DEFAULT_METRICS_HOST;
        private boolean encodeOnly;
        private Path sae;
        private long dictionaryVersion;
        private long maxTokens;
        private String groupId;
        private long seed = DEFAULT_SEED;
        private float lr;
        private long warmupSteps = -1;
        private long deadTokens;
        private long resampleEvery = DEFAULT_RESAMPLE_EVERY;
        private int resampleMaxTimes = DEFAULT_RESAMPLE_MAX_TIMES;
        private String saeId;
        private boolean emitCodes = true;
        private int codesSample = 1;
        private int maxBatchRows = DEFAULT_MAX_BATCH_ROWS;
        private Duration progressEvery = DEFAULT_PROGRESS_EVERY;
        private StartPosition start = StartPosition.EARLIEST;
        private Duration commitInterval = DEFAULT_COMMIT_INTERVAL;
        private Map<String, String> kafkaProperties = Map.of();
        private Architecture.Kind architecture = Architecture.Kind.TOPK;
        private int[] matryoshkaPrefixes = new int[0];
        private int evalRows = DEFAULT_EVAL_ROWS;
        private int evalCosineLatents = DEFAULT_EVAL_COSINE_LATENTS;

        private Builder(String bootstrap, String topic) {
            this.bootstrap = bootstrap;
            this.topic = topic;
        }

        public Builder model(String v) { model = v; return this; }
        public Builder hookpoint(String v) { hookpoint = v; return this; }
        public Builder checkpointDir(Path v) { checkpointDir = v; return this; }
        public Builder dSae(int v) { dSae = v; return this; }
        public Builder expansion(double v) { expansion = v; return this; }
        public Builder k(int v) { k = v; return this; }
        public Builder batch(int v) { batch = v; return this; }
        public Builder shuffleBuffer(int v) { shuffleBuffer = v; return this; }
        public Builder checkpointEveryTokens(long v) { checkpointEveryTokens = v; return this; }
        public Builder checkpointEvery(Duration v) { checkpointEvery = v; return this; }
        public Builder promoteEvery(long v) { promoteEvery = v; return this; }
        public Builder catchUp(CatchUpPolicy v) { catchUp = v; return this; }
        public Builder maxLag(long v) { maxLag = v; return this; }
        public Builder metricsPort(int v) { metricsPort = v; return this; }
        public Builder metricsHost(String v) { metricsHost = v; return this; }
        public Builder encodeOnly(Path frozenSae) { encodeOnly = true; sae = frozenSae; return this; }
        public Builder dictionaryVersion(long v) { dictionaryVersion = v; return this; }
        public Builder maxTokens(long v) { maxTokens = v; return this; }
        public Builder groupId(String v) { groupId = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder lr(float v) { lr = v; return this; }
        public Builder warmupSteps(long v) { warmupSteps = v; return this; }
        public Builder deadTokens(long v) { deadTokens = v; return this; }
        public Builder resampleEvery(long v) { resampleEvery = v; return this; }
        public Builder resampleMaxTimes(int v) { resampleMaxTimes = v; return this; }
        public Builder saeId(String v) { saeId = v; return this; }
        public Builder emitCodes(boolean v) { emitCodes = v; return this; }
        public Builder codesSample(int v) { codesSample = v; return this; }
        public Builder maxBatchRows(int v) { maxBatchRows = v; return this; }
        public Builder progressEvery(Duration v) { progressEvery = v; return this; }
        public Builder start(StartPosition v) { start = v; return this; }
        public Builder commitInterval(Duration v) { commitInterval = v; return this; }
        public Builder kafkaProperties(Map<String, String> v) { kafkaProperties = v; return this; }
        public Builder architecture(Architecture.Kind v) { architecture = v; return this; }
        public Builder matryoshkaPrefixes(int... v) { matryoshkaPrefixes = v; return this; }
        public Builder evalRows(int v) { evalRows = v; return this; }
        public Builder evalCosineLatents(int v) { evalCosineLatents = v; return this; }

        public TrainerOptions build() {
            return new TrainerOptions(bootstrap, topic, model, hookpoint, checkpointDir, dSae, expansion, k, batch,
                    shuffleBuffer, checkpointEveryTokens, checkpointEvery, promoteEvery, catchUp, maxLag, metricsPort,
                    metricsHost, encodeOnly, sae, dictionaryVersion, maxTokens, groupId, seed, lr, warmupSteps, deadTokens, resampleEvery, resampleMaxTimes, saeId, emitCodes,
                    codesSample, maxBatchRows, progressEvery, start, kafkaProperties, commitInterval, architecture,
                    matryoshkaPrefixes, evalRows, evalCosineLatents);
        }
    }
}
