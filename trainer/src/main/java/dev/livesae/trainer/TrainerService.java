package dev.livesae.trainer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.apache.arrow.memory.BufferAllocator;
import dev.livesae.clients.TopicSettings;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import dev.livesae.engine.Sae;
import dev.livesae.service.ServiceHttpServer;
import dev.livesae.engine.SaeConfig;
import dev.livesae.engine.Seeds;
import dev.livesae.engine.StepResult;
import dev.livesae.trainer.checkpoint.CheckpointStore;
import dev.livesae.trainer.checkpoint.TrainerState;
import dev.livesae.wire.ActivationBatch;
import dev.livesae.wire.ActivationBatchCodec;
import dev.livesae.wire.ActivationMeta;
import dev.livesae.wire.DeadLetterPublisher;
import dev.livesae.wire.DecodeLimits;
import dev.livesae.wire.RejectReason;
import dev.livesae.wire.Topics;
import dev.livesae.wire.WireAllocator;
import dev.livesae.wire.WireFormatException;

/**
 * The online trainer: consumes activation batches from Kafka, trains a TopK SAE, checkpoints the model state
 * together with the consumed offsets (exactly-once model state), dead-letters bad records, and publishes the
 * codes of every consumed batch under the promoted dictionary. One instance per hookpoint topic.
 *
 * <p>In-process use (the demo):
 * <pre>{@code
 * TrainerService svc = new TrainerService(TrainerOptions.builder(bootstrap, topic)
 *         .checkpointDir(dir).k(32).expansion(8).metricsPort(0).build());
 * svc.onProgress(p -> System.out.println(p.line()));
 * CompletableFuture<TrainerProgress> done = svc.start();   // or svc.run() on your own thread
 * ...
 * svc.stop();                                              // graceful: final checkpoint, then returns
 * TrainerProgress last = done.join();
 * }</pre>
 *
 * <p>Rooms: {@link TrainerClients} builds the Kafka clients, {@link PartitionCursor} assigns, seeks and measures
 * lag, {@link CheckpointCoordinator} schedules and writes checkpoints, {@link DictionaryPromotion} decides the
 * dictionary version codes carry, {@link ProgressReporter} reports; this class holds the lifecycle and the loop.
 *
 * <p>Threads: the training thread (the caller of {@link #run}) owns the consumer, the engine and the
 * checkpoint; a second thread encodes and publishes codes. {@link #stop}, {@link #progress} and
 * {@link #onProgress} may be called from any thread.
 */
public final class TrainerService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TrainerService.class);
    public static final String COMPONENT = "trainer";
    private static final int ENCODER_QUEUE = 16;
    /** Tag value of {@code hookpoint} / {@code sae_id} before a new trainer's first valid batch fixes it. */
    static final String PENDING = "pending";

    private final TrainerOptions opts;
    private final MeterRegistry registry;
    private final TrainerClients clients;
    private final ProgressReporter progress;
    private final CompletableFuture<TrainerProgress> finished = new CompletableFuture<>();
    private volatile boolean stopRequested;
    private volatile boolean started;
    private volatile ServiceHttpServer metricsServer;
    private volatile CheckpointCoordinator checkpoints;

    // ---- state owned by the training thread ----
    private KafkaConsumer<byte[], byte[]> consumer;
    private KafkaProducer<byte[], byte[]> producer;
    private OutputTransactions outputs;
    private PartitionCursor cursor;
    private DeadLetterPublisher deadLetters;
    private ActivationBatchCodec codec;
    private CodeEncoder encoder;
    private BufferAllocator allocator;
    private DictionaryPromotion promotion;
    private String model;
    private String hookpoint;
    private int dIn;
    private String saeId;
    private TrainingLoop loop;
    private long tokensConsumed;
    /** The record (or drain) being handled had its outputs committed before a restart: publish nothing. */
    private boolean replaying;
    private boolean drained;
    private final Map<String, Long> rejected = new TreeMap<>();
    private TrainerMetrics metrics;
    private List<String> metricsTags = List.of();
    private final AtomicLong codeBatches = new AtomicLong();
    private final CodeSample codesSample;
    private DictionaryEvaluation evaluation;
    private volatile DictionaryEvaluation.Evaluation lastEvaluation;

    /** A service with its own Prometheus registry (served on {@code --metrics-port} if set). */
    public TrainerService(TrainerOptions opts) {
        this(opts, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    /**
     * A service recording into {@code registry}; when {@code opts.metricsPort() >= 0} the registry must be a
     * {@link PrometheusMeterRegistry}, served on that port.
     */
    public TrainerService(TrainerOptions opts, MeterRegistry registry) {
        this(opts, registry, TopicSettings.brokerDefaults());
    }

    /**
     * As {@link #TrainerService(TrainerOptions, MeterRegistry)}, creating the codes and dead-letter topics (when
     * missing) with {@code topicSettings}: partitions and replication factor, empty = the broker's default.
     */
    public TrainerService(TrainerOptions opts, MeterRegistry registry, TopicSettings topicSettings) {
        if (opts == null || registry == null || topicSettings == null) {
            throw new IllegalArgumentException("opts and registry must not be null");
        }
        if (opts.metricsPort() >= 0 && !(registry instanceof PrometheusMeterRegistry)) {
            throw new IllegalArgumentException("--metrics-port needs a PrometheusMeterRegistry (got "
                    + registry.getClass().getSimpleName() + ")");
        }
        this.opts = opts;
        this.codesSample = new CodeSample(opts.codesSample());
        this.registry = registry;
        this.clients = new TrainerClients(opts, topicSettings);
        this.progress = new ProgressReporter(opts.progressEvery());
    }

    public TrainerOptions options() { return opts; }
    public MeterRegistry registry() { return registry; }

    /** Latest progress snapshot; {@link TrainerProgress#NOT_STARTED} before the first one. */
    public TrainerProgress progress() { return progress.latest(); }

    /** Registers a listener called on the training thread with every progress snapshot. */
    public void onProgress(Consumer<TrainerProgress> listener) { progress.listen(listener); }

    /**
     * SAEBench's core metrics of the latest promoted dictionary on held-out rows (docs/trainer.md), once a
     * promotion has evaluated one; any thread.
     */
    public Optional<dev.livesae.engine.eval.CoreMetrics.Result> coreMetrics() {
        DictionaryEvaluation.Evaluation e = lastEvaluation;
        return e == null ? Optional.empty() : Optional.of(e.result());
    }

    /** The checkpoint directory written last by this service, if any. */
    public Optional<Path> lastCheckpoint() {
        CheckpointCoordinator c = checkpoints;
        return c == null ? Optional.empty() : c.last();
    }

    /** URL of the Prometheus endpoint once started with a metrics port. */
    public Optional<String> metricsUrl() {
        ServiceHttpServer s = metricsServer;
        return s == null ? Optional.empty() : Optional.of(s.url("/metrics"));
    }

    /** Completes with the final progress when {@link #run} returns (exceptionally if it failed). */
    public CompletableFuture<TrainerProgress> finished() { return finished; }

    private synchronized ServiceHttpServer startMetricsServer() {
        if (metricsServer == null) {
            metricsServer = ServiceHttpServer.start("trainer-http", opts.metricsHost(), opts.metricsPort(),
                    (PrometheusMeterRegistry) registry, this::health);
            log.info("metrics on {}", metricsServer.url("/metrics"));
        }
        return metricsServer;
    }

    private ServiceHttpServer.Health health() {
        if (finished.isDone()) {
            return new ServiceHttpServer.Health(false, finished.isCompletedExceptionally() ? "FAILED" : "STOPPED");
        }
        return new ServiceHttpServer.Health(started, started ? "RUNNING" : "STARTING");
    }

    /**
     * Runs on a new thread named {@code livesae-trainer}; the future completes when the service stops. The
     * metrics endpoint (if any) is up when this returns, so {@link #metricsUrl()} can be shown at once.
     */
    public CompletableFuture<TrainerProgress> start() {
        if (opts.metricsPort() >= 0) {
            startMetricsServer();
        }
        Thread t = new Thread(() -> {
            try {
                run();
            } catch (Exception e) {
                log.error("trainer failed", e);
            }
        }, "livesae-trainer");
        t.start();
        return finished;
    }

    /** Asks the service to stop: it finishes the current record, writes a final checkpoint and returns. */
    public void stop() {
        stopRequested = true;
    }

    /** Stops and waits for the final checkpoint. */
    @Override
    public void close() {
        stop();
        if (started) {
            try {
                finished.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException e) {
                // already logged by run()
            }
        }
    }

    /**
     * Consumes and trains until {@link #stop} or until {@code --max-tokens} tokens were consumed (then every
     * buffered row is trained before the final checkpoint). Blocks; returns the final progress.
     */
    public TrainerProgress run() throws IOException, InterruptedException {
        synchronized (this) {
            if (started) {
                throw new IllegalStateException("a TrainerService runs once");
            }
            started = true;
        }
        try {
            TrainerProgress last = runInternal();
            finished.complete(last);
            return last;
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            finished.completeExceptionally(e);
            throw e;
        }
    }

    private TrainerProgress runInternal() throws IOException, InterruptedException {
        List<AutoCloseable> closeables = new ArrayList<>();
        try {
            if (opts.metricsPort() >= 0) {
                closeables.add(startMetricsServer());
            }
            allocator = WireAllocator.root().newChildAllocator("trainer", 0, Long.MAX_VALUE);
            closeables.add(allocator);
            codec = new ActivationBatchCodec(allocator, new DecodeLimits(opts.maxBatchRows(), false, 0));
            closeables.add(codec);
            KafkaProducer<byte[], byte[]> p = clients.producer();
            producer = p;
            closeables.add(() -> p.close(Duration.ofSeconds(10))); // an open transaction is aborted, not awaited
            closeables.add(bind(new KafkaClientMetrics(producer)));
            deadLetters = new DeadLetterPublisher(producer, registry, COMPONENT);
            outputs = new OutputTransactions(producer, opts.topic(), opts.groupId());
            if (!outputs.init(() -> stopRequested)) {
                outputs = null;
                return finish(closeables);
            }
            consumer = clients.consumer();
            closeables.add(consumer);
            closeables.add(bind(new KafkaClientMetrics(consumer)));
            cursor = new PartitionCursor(consumer, opts);
            promotion = new DictionaryPromotion(opts.promoteEvery());
            evaluation = new DictionaryEvaluation(opts.evalRows(), opts.evalCosineLatents());
            checkpoints = new CheckpointCoordinator(opts.encodeOnly() ? null : new CheckpointStore(opts.checkpointDir()), opts);

            if (!opts.encodeOnly()) {
                Optional<Path> ck = checkpoints.latest();
                if (ck.isPresent()) {
                    restore(ck.get());
                }
            } else {
                Sae frozen = Sae.load(opts.sae());
                String id = opts.saeId() != null ? opts.saeId() : "frozen-" + opts.sae().toAbsolutePath().getFileName();
                promotion.set(new Dictionary(id, opts.dictionaryVersion(), frozen), 0);
                saeId = id;
                dIn = frozen.dIn();
                log.info("encode-only with frozen {} SAE {} (d_in={}, d_sae={}, code slots={}) as {} v{}",
                        frozen.architecture(), opts.sae(), frozen.dIn(), frozen.dSae(), frozen.k(), id,
                        opts.dictionaryVersion());
            }
            bindMetrics(hookpoint != null ? hookpoint : opts.hookpoint(), saeId);
            for (RejectReason reason : RejectReason.values()) {
                deadLetters.counter(reason); // every reason exported from the start, at 0
            }
            if (!cursor.assign(() -> stopRequested, opts.encodeOnly())) {
                return finish(closeables);
            }
            resumeOutputs();
            clients.ensureTopic(Topics.deadLetter(opts.topic()));
            if (model != null) {
                startOutputs();
            }
            checkpoints.startClock();
            progress.startClock(trainedTokens());
            pollLoop();
            return finish(closeables);
        } catch (RuntimeException | IOException | InterruptedException | Error e) {
            if (e instanceof OutputTransactions.OutputFailedException) {
                log.error("stopping: {}; nothing after checkpoint {} is covered, a restart resumes from it",
                        e.getMessage(), lastCheckpoint().map(Path::toString).orElse("(none)"), e.getCause());
            }
            closeQuietly(closeables);
            throw e;
        }
    }

    /**
     * Reads the output high-water mark (the group's offsets, committed with the last output transaction).
     * Records before it are re-consumed (re-trained bit-identically from the checkpoint) without outputs.
     */
    private void resumeOutputs() {
        outputs.resume(cursor.committed());
        Map<Integer, Long> high = outputs.highWater();
        long replay = 0;
        for (Map.Entry<Integer, Long> e : cursor.offsets().entrySet()) {
            long h = high.getOrDefault(e.getKey(), -1L);
            if (h >= 0 && h < e.getValue()) {
                log.warn("partition {}: outputs are committed up to offset {} only, but the checkpoint resumes at {}: "
                        + "the outputs in between were not committed by group {} (was --group-id changed?)",
                        e.getKey(), h, e.getValue(), opts.groupId());
            }
            replay += Math.max(0, h - e.getValue());
        }
        if (replay > 0) {
            log.info("re-consuming {} records whose outputs are already committed (up to offsets {}): no codes or "
                    + "dead letters for them", replay, high);
        }
    }

    private AutoCloseable bind(KafkaClientMetrics m) {
        m.bindTo(registry);
        return m;
    }

    private void pollLoop() throws IOException, InterruptedException {
        boolean reachedMax = false;
        while (!stopRequested && !reachedMax) {
            ConsumerRecords<byte[], byte[]> records = cursor.poll();
            for (ConsumerRecord<byte[], byte[]> rec : records) {
                if (stopRequested) {
                    break;
                }
                handle(rec);
                cursor.consumed(rec);
                afterRecord();
                maybeCommitOutputs();
                if (opts.maxTokens() > 0 && tokensConsumed >= opts.maxTokens()) {
                    reachedMax = true;
                    break;
                }
            }
            if (!reachedMax) {
                checkLag(false);
                maybeCommitOutputs();
            }
            progress.maybeReport(trainedTokens(), this::snapshot);
        }
        if (reachedMax && loop != null) {
            log.info("--max-tokens {} reached ({} consumed): training the {} buffered rows", opts.maxTokens(),
                    tokensConsumed, loop.pendingRows());
            replaying = outputs.drainPublished(cursor.offsets());
            loop.drain();
            drained = true;
        }
        progress.trainingEnded();
    }

    private TrainerProgress finish(List<AutoCloseable> closeables) throws IOException, InterruptedException {
        TrainerProgress p;
        try {
            if (model != null) {
                checkpoint("final");
            } else if (outputs != null) {
                commitOutputs(); // dead letters of a trainer that never accepted a batch
            }
            if (encoder != null) {
                encoder.close();
                encoder = null;
            }
            if (cursor != null && !cursor.partitions().isEmpty()) {
                checkLag(true);
            }
            p = snapshot(false, 0, progress.trainingSeconds());
        } finally {
            closeQuietly(closeables);
        }
        progress.report(p);
        return p;
    }

    private void checkLag(boolean force) {
        long skipped = cursor.checkLag(force, trainedTokens());
        if (skipped >= 0 && metrics != null) {
            if (skipped > 0) {
                metrics.catchUpSkipped(skipped);
            }
            metrics.lag(cursor.lag());
        }
    }

    // ------------------------------------------------------------------ records

    private void handle(ConsumerRecord<byte[], byte[]> rec) throws IOException, InterruptedException {
        replaying = outputs.published(rec.partition(), rec.offset());
        ActivationBatch b;
        try {
            b = codec.decode(rec.value());
        } catch (WireFormatException e) {
            reject(rec, e.reason(), e.detail());
            return;
        }
        String expectModel = model != null ? model : opts.model();
        String expectHook = hookpoint != null ? hookpoint : opts.hookpoint();
        if (expectModel != null && !expectModel.equals(b.meta().model())) {
            reject(rec, RejectReason.UNEXPECTED_SHAPE, "model is " + b.meta().model() + ", this trainer trains " + expectModel);
            return;
        }
        if (expectHook != null && !expectHook.equals(b.meta().hookpoint())) {
            reject(rec, RejectReason.UNEXPECTED_SHAPE, "hookpoint is " + b.meta().hookpoint() + ", this trainer trains " + expectHook);
            return;
        }
        if (dIn != 0 && b.dIn() != dIn) {
            reject(rec, RejectReason.WRONG_WIDTH, "activation width d_in is " + b.dIn() + ", this trainer expects " + dIn);
            return;
        }
        if (model == null && !opts.encodeOnly()) {
            // bad-input guard (issue 11): the first batch sizes the SAE; refuse one it cannot be built for
            FirstBatchCheck.Refusal refusal = FirstBatchCheck.refusal(opts, b, FirstBatchCheck.memoryBytes());
            if (refusal != null) {
                reject(rec, refusal.reason(), refusal.detail());
                return;
            }
        }
        if (model == null) {
            initialise(b);
        }
        if (encoder != null && !replaying) {
            outputs.open();
            // keyed by SAE id (docs/wire-format.md): one SAE's codes share a partition, so a monitor task sees
            // every window of that SAE in order
            Dictionary dictionary = promotion.current();
            ActivationBatch sampled = codesSample.rows(b, rec.partition(), rec.offset());
            if (sampled.rows() > 0) {
                encoder.submit(sampled, dictionary.saeId().getBytes(StandardCharsets.UTF_8), dictionary);
            }
        }
        if (loop != null) {
            progress.trainingStarted();
            loop.offer(b.activations(), b.sequenceIds(), b.positions(), b.rows());
        }
        tokensConsumed += b.rows();
    }

    private void reject(ConsumerRecord<byte[], byte[]> rec, RejectReason reason, String detail) {
        if (!replaying) {
            outputs.open();
            deadLetters.publish(rec.topic(), rec.partition(), rec.offset(), rec.key(), rec.value(), reason, detail);
        }
        rejected.merge(reason.name(), 1L, Long::sum);
    }

    /** First accepted batch of a fresh trainer: fixes model/hookpoint/d_in, creates the SAE (version 0). */
    private void initialise(ActivationBatch first) throws IOException, InterruptedException {
        model = first.meta().model();
        hookpoint = first.meta().hookpoint();
        if (!opts.encodeOnly()) {
            dIn = first.dIn();
            int dSae = opts.dSaeFor(dIn);
            saeId = opts.saeId() != null ? opts.saeId()
                    : Topics.sanitize(hookpoint) + "." + opts.architecture().cliName() + "-" + dSae + "-k" + opts.k()
                    + "-" + UUID.randomUUID().toString().substring(0, 8);
            SaeConfig cfg = opts.saeConfig(dIn);
            loop = TrainingLoop.create(cfg, opts.arch(), opts.batch(), opts.shuffleBuffer(), Seeds.derive(opts.seed(), Seeds.TRAINER_SHUFFLE),
                    first.activations(), first.rows());
            loop.listener(this::afterStep);
            loop.skippedListener(this::deadLetterSkippedBatch);
            promotion.set(new Dictionary(saeId, 0, loop.trainer().snapshot()), 0);
            promotion.annotate(DictionaryEvaluation.metadata(promotion.current(), loop.trainer(), null, null,
                    opts.topic(), cursor.offsets()));
            log.info("new {} SAE {} for {}/{}: d_in={} d_sae={} k={} batch={} shuffle-buffer={} (dictionary v0 = the "
                    + "initialised SAE)", loop.trainer().architecture(), saeId, model, hookpoint, dIn, dSae, opts.k(),
                    opts.batch(), opts.shuffleBuffer());
            startOutputs();
            checkpoint("dictionary v0");
        } else {
            startOutputs();
        }
    }

    /**
     * Registers the trainer's meters tagged {@code hookpoint} and {@code sae_id}; a tag not known yet (a new
     * trainer before its first valid batch) reads {@value #PENDING}, and those meters are replaced once it is.
     */
    private void bindMetrics(String hook, String sae) {
        String h = hook != null ? hook : PENDING;
        String id = sae != null ? sae : PENDING;
        if (metrics != null) {
            if (metricsTags.equals(List.of(h, id))) {
                return;
            }
            metrics.removeFrom(registry);
        }
        metrics = new TrainerMetrics(h, id);
        metrics.bindTo(registry);
        metricsTags = List.of(h, id);
        metrics.dictionaryVersion(promotion.version());
        if (cursor != null && cursor.lag() >= 0) {
            metrics.lag(cursor.lag());
        }
    }

    /** Final meter tags and the codes encoder, once model and hookpoint are known. */
    private void startOutputs() {
        bindMetrics(hookpoint, saeId);
        metrics.dictionaryVersion(promotion.version());
        if (opts.emitCodes()) {
            String codesTopic = Topics.codes(model, hookpoint);
            clients.ensureTopic(codesTopic);
            encoder = new CodeEncoder(producer, codesTopic, allocator, ENCODER_QUEUE, () -> {
                codeBatches.incrementAndGet();
                metrics.codeBatchPublished();
            });
        }
    }

    private void afterStep(StepResult r, int rows, long nanos) {
        if (r.skipped()) {
            metrics.stepSkipped(nanos);
            log.warn("step {} skipped: loss not finite ({} rows); weights untouched", r.step(), rows);
        } else {
            metrics.step(rows, r.fvu(), r.l0(), r.deadFraction(), r.denseFraction(), r.auxKLoss(), r.resampled(), nanos);
        }
    }

    /**
     * A step skipped for a non-finite loss: its rows (a minibatch from the shuffle buffer, so from several
     * records) go to the dead-letter topic as one activation batch, reason {@code NON_FINITE_LOSS}, source
     * partition and offset -1. Exactly once like every output: not again when re-consumed after a restart.
     */
    private void deadLetterSkippedBatch(long step, float[] x, long[] sequenceIds, int[] positions, int rows) {
        rejected.merge(RejectReason.NON_FINITE_LOSS.name(), 1L, Long::sum);
        if (replaying) {
            return;
        }
        float[] values = Arrays.copyOf(x, rows * dIn);
        byte[] value = codec.encode(new ActivationBatch(new ActivationMeta(model, hookpoint, dIn), sequenceIds, positions,
                null, values));
        outputs.open();
        deadLetters.publish(opts.topic(), -1, -1, null, value, RejectReason.NON_FINITE_LOSS, "training step " + step
                + ": loss not finite on " + rows + " rows (sequence ids and positions in the batch); weights untouched");
    }

    private void afterRecord() throws IOException, InterruptedException {
        if (loop == null) {
            if (opts.encodeOnly() && checkpoints.dueByTime()) {
                checkpoint("time");
            }
            return;
        }
        if (promotion.promoteIfDue(loop.trainer())) {
            promoted();
            return;
        }
        if (checkpoints.due(trainedTokens())) {
            checkpoint("periodic");
        }
    }

    /**
     * A new dictionary version: its core metrics on held-out rows (gauges, log line, export metadata), then a
     * checkpoint that exports it.
     */
    private void promoted() throws IOException, InterruptedException {
        Dictionary d = promotion.current();
        DictionaryEvaluation.Evaluation e = evaluation.evaluate(d.sae(), loop);
        promotion.annotate(DictionaryEvaluation.metadata(d, loop.trainer(), loop.last(), e, opts.topic(),
                cursor.offsets()));
        if (e != null) {
            lastEvaluation = e;
            metrics.core(e.result(), e.seconds());
        }
        checkpoint("dictionary v" + d.version());
        metrics.dictionaryVersion(d.version());
        log.info("promoted dictionary v{} at {} trained tokens; {}", d.version(), promotion.tokensAtPromotion(),
                e == null ? "no core metrics (--eval-rows 0 or no untrained rows)" : e.line());
    }

    // ------------------------------------------------------------------ checkpoints

    /**
     * Writes model + bookkeeping atomically. Before writing, the outputs of every consumed record are committed
     * (with the offsets, in one transaction), so a checkpoint never covers a record whose outputs could be
     * lost; if that commit fails, no checkpoint is written and the trainer stops.
     */
    private void checkpoint(String why) throws IOException, InterruptedException {
        commitOutputs();
        if (checkpoints.writes() && loop != null) {
            long t0 = System.nanoTime();
            Path dir = checkpoints.write(loop, promotion.current(), state(), model, hookpoint);
            metrics.checkpointWritten();
            log.info("checkpoint {} ({}) in {} ms: {} tokens trained, {} buffered, offsets {}", dir.getFileName(), why,
                    (System.nanoTime() - t0) / 1_000_000, trainedTokens(), loop.pendingRows(), cursor.offsets());
        }
        checkpoints.reset(trainedTokens());
    }

    private void maybeCommitOutputs() throws InterruptedException {
        if (outputs.due(opts.commitInterval().toNanos(), cursor.offsets())) {
            commitOutputs();
        }
    }

    /**
     * Waits until the code encoder has handed every submitted batch to the producer, then commits the open
     * transaction with the consumed offsets (the output high-water mark).
     */
    private void commitOutputs() throws InterruptedException {
        if (encoder != null) {
            encoder.awaitIdle();
        }
        outputs.commit(cursor.offsets(), drained);
    }

    private TrainerState state() {
        Dictionary d = promotion.current();
        return new TrainerState(TrainerState.FORMAT, opts.topic(), model, hookpoint, saeId, dIn, loop.trainer().step(),
                tokensConsumed, cursor.offsets(), loop.consumed(), loop.trained(), loop.skippedStep(), loop.skippedSteps(),
                rejected, cursor.skippedRecords(), cursor.skippedRanges(), d.version(), promotion.tokensAtPromotion(),
                checkpoints.written() + 1, System.currentTimeMillis());
    }

    private void restore(Path dir) throws IOException {
        TrainerState s = TrainerState.read(dir);
        if (!s.topic().equals(opts.topic())) {
            throw new IllegalArgumentException("--checkpoint-dir " + opts.checkpointDir() + " holds a trainer of topic "
                    + s.topic() + ", not " + opts.topic());
        }
        loop = TrainingLoop.restore(dir, s.consumed(), s.trained(), s.skippedStep(), s.skippedSteps());
        loop.listener(this::afterStep);
        loop.skippedListener(this::deadLetterSkippedBatch);
        model = s.model();
        hookpoint = s.hookpoint();
        saeId = s.saeId();
        dIn = s.dIn();
        Path dictionaryDir = dir.resolve(CheckpointCoordinator.DICTIONARY_DIR);
        promotion.set(new Dictionary(saeId, s.dictionaryVersion(), Sae.load(dictionaryDir),
                Sae.readMetadata(dictionaryDir)), s.dictionaryTokens());
        tokensConsumed = s.tokensConsumed();
        cursor.restore(s.offsets(), s.skippedRecords(), s.skippedRanges());
        rejected.putAll(s.rejected());
        checkpoints.restored(dir, s.checkpointsWritten(), trainedTokens());
        if (loop.batch() != opts.batch() || loop.shuffleCapacity() != opts.shuffleBuffer()) {
            log.warn("resuming with the checkpoint's --batch {} and --shuffle-buffer {} (flags {} and {} apply to new "
                    + "trainers only)", loop.batch(), loop.shuffleCapacity(), opts.batch(), opts.shuffleBuffer());
        }
        log.info("resumed from {}: step {}, {} tokens trained, {} buffered, dictionary v{}, offsets {}", dir,
                s.step(), s.trained().count(), loop.pendingRows(), s.dictionaryVersion(), s.offsets());
    }

    // ------------------------------------------------------------------ progress

    private long trainedTokens() {
        return loop == null ? 0 : loop.trained().count();
    }

    private TrainerProgress snapshot(boolean running, double rate, double trainingSeconds) {
        StepResult r = loop == null ? null : loop.last();
        long totalRejected = rejected.values().stream().mapToLong(Long::longValue).sum();
        return new TrainerProgress(trainedTokens(), tokensConsumed, rate, loop == null ? 0 : loop.trainer().step(),
                r == null ? Double.NaN : r.fvu(), r == null ? Double.NaN : r.l0(),
                r == null ? Double.NaN : r.deadFraction(), loop == null ? 0 : loop.trainer().resampledLatents(), cursor == null ? -1 : cursor.lag(), promotion == null ? 0 : promotion.version(),
                checkpoints == null ? 0 : checkpoints.written(), totalRejected, loop == null ? 0 : loop.skippedSteps(),
                cursor == null ? 0 : cursor.skippedRecords(), codeBatches.get(), trainingSeconds,
                checkpoints == null ? 0 : checkpoints.secondsWriting(), running);
    }

    private void closeQuietly(List<AutoCloseable> closeables) {
        if (encoder != null) {
            try {
                encoder.close();
            } catch (Exception e) {
                log.warn("closing code encoder", e);
            }
            encoder = null;
        }
        if (loop != null) {
            loop.close();
            loop = null;
        }
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception e) {
                log.warn("closing {}", closeables.get(i).getClass().getSimpleName(), e);
            }
        }
        closeables.clear();
    }
}
