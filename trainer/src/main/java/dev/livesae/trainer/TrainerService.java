package dev.livesae.trainer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
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
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import dev.livesae.engine.Sae;
import dev.livesae.engine.SaeConfig;
import dev.livesae.engine.StepResult;
import dev.livesae.trainer.checkpoint.CheckpointStore;
import dev.livesae.trainer.checkpoint.TrainerState;
import dev.livesae.wire.ActivationBatch;
import dev.livesae.wire.ActivationBatchCodec;
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

    private final TrainerOptions opts;
    private final MeterRegistry registry;
    private final TrainerClients clients;
    private final ProgressReporter progress;
    private final CompletableFuture<TrainerProgress> finished = new CompletableFuture<>();
    private volatile boolean stopRequested;
    private volatile boolean started;
    private volatile MetricsServer metricsServer;
    private volatile CheckpointCoordinator checkpoints;

    // ---- state owned by the training thread ----
    private KafkaConsumer<byte[], byte[]> consumer;
    private KafkaProducer<byte[], byte[]> producer;
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
    private final Map<String, Long> rejected = new TreeMap<>();
    private TrainerMetrics metrics;
    private final AtomicLong codeBatches = new AtomicLong();

    /** A service with its own Prometheus registry (served on {@code --metrics-port} if set). */
    public TrainerService(TrainerOptions opts) {
        this(opts, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    /**
     * A service recording into {@code registry}; when {@code opts.metricsPort() >= 0} the registry must be a
     * {@link PrometheusMeterRegistry}, served on that port.
     */
    public TrainerService(TrainerOptions opts, MeterRegistry registry) {
        if (opts == null || registry == null) {
            throw new IllegalArgumentException("opts and registry must not be null");
        }
        if (opts.metricsPort() >= 0 && !(registry instanceof PrometheusMeterRegistry)) {
            throw new IllegalArgumentException("--metrics-port needs a PrometheusMeterRegistry (got "
                    + registry.getClass().getSimpleName() + ")");
        }
        this.opts = opts;
        this.registry = registry;
        this.clients = new TrainerClients(opts);
        this.progress = new ProgressReporter(opts.progressEvery());
    }

    public TrainerOptions options() { return opts; }
    public MeterRegistry registry() { return registry; }

    /** Latest progress snapshot; {@link TrainerProgress#NOT_STARTED} before the first one. */
    public TrainerProgress progress() { return progress.latest(); }

    /** Registers a listener called on the training thread with every progress snapshot. */
    public void onProgress(Consumer<TrainerProgress> listener) { progress.listen(listener); }

    /** The checkpoint directory written last by this service, if any. */
    public Optional<Path> lastCheckpoint() {
        CheckpointCoordinator c = checkpoints;
        return c == null ? Optional.empty() : c.last();
    }

    /** URL of the Prometheus endpoint once started with a metrics port. */
    public Optional<String> metricsUrl() {
        MetricsServer s = metricsServer;
        return s == null ? Optional.empty() : Optional.of(s.url());
    }

    /** Completes with the final progress when {@link #run} returns (exceptionally if it failed). */
    public CompletableFuture<TrainerProgress> finished() { return finished; }

    private synchronized MetricsServer startMetricsServer() throws IOException {
        if (metricsServer == null) {
            metricsServer = MetricsServer.start(opts.metricsHost(), opts.metricsPort(), (PrometheusMeterRegistry) registry);
            log.info("metrics on {}", metricsServer.url());
        }
        return metricsServer;
    }

    /**
     * Runs on a new thread named {@code livesae-trainer}; the future completes when the service stops. The
     * metrics endpoint (if any) is up when this returns, so {@link #metricsUrl()} can be shown at once.
     */
    public CompletableFuture<TrainerProgress> start() {
        if (opts.metricsPort() >= 0) {
            try {
                startMetricsServer();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot serve metrics on " + opts.metricsHost() + ":"
                        + opts.metricsPort(), e);
            }
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
            producer = clients.producer();
            closeables.add(producer);
            closeables.add(bind(new KafkaClientMetrics(producer)));
            deadLetters = new DeadLetterPublisher(producer, registry, COMPONENT);
            consumer = clients.consumer();
            closeables.add(consumer);
            closeables.add(bind(new KafkaClientMetrics(consumer)));
            cursor = new PartitionCursor(consumer, opts);
            promotion = new DictionaryPromotion(opts.promoteEvery());
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
                log.info("encode-only with frozen SAE {} (d_in={}, d_sae={}, k={}) as {} v{}", opts.sae(), frozen.dIn(),
                        frozen.dSae(), frozen.k(), id, opts.dictionaryVersion());
            }
            if (!cursor.assign(() -> stopRequested, opts.encodeOnly())) {
                return finish(closeables);
            }
            clients.ensureTopic(Topics.deadLetter(opts.topic()), 1);
            if (model != null) {
                startOutputs();
            }
            checkpoints.startClock();
            progress.startClock(trainedTokens());
            pollLoop();
            return finish(closeables);
        } catch (RuntimeException | IOException | InterruptedException | Error e) {
            closeQuietly(closeables);
            throw e;
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
                if (opts.maxTokens() > 0 && tokensConsumed >= opts.maxTokens()) {
                    reachedMax = true;
                    break;
                }
            }
            if (!reachedMax) {
                checkLag(false);
            }
            progress.maybeReport(trainedTokens(), this::snapshot);
        }
        if (reachedMax && loop != null) {
            log.info("--max-tokens {} reached ({} consumed): training the {} buffered rows", opts.maxTokens(),
                    tokensConsumed, loop.pendingRows());
            loop.drain();
        }
        progress.trainingEnded();
    }

    private TrainerProgress finish(List<AutoCloseable> closeables) throws IOException, InterruptedException {
        TrainerProgress p;
        try {
            if (model != null) {
                checkpoint("final");
            }
            if (encoder != null) {
                encoder.close();
                encoder = null;
            }
            if (!cursor.partitions().isEmpty()) {
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
        if (model == null) {
            initialise(b);
        }
        if (encoder != null) {
            // keyed by SAE id (docs/wire-format.md): one SAE's codes share a partition, so a monitor task sees
            // every window of that SAE in order
            Dictionary dictionary = promotion.current();
            encoder.submit(b, dictionary.saeId().getBytes(StandardCharsets.UTF_8), dictionary);
        }
        if (loop != null) {
            progress.trainingStarted();
            loop.offer(b.activations(), b.sequenceIds(), b.positions(), b.rows());
        }
        tokensConsumed += b.rows();
    }

    private void reject(ConsumerRecord<byte[], byte[]> rec, RejectReason reason, String detail) {
        deadLetters.publish(rec.topic(), rec.partition(), rec.offset(), rec.key(), rec.value(), reason, detail);
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
                    : Topics.sanitize(hookpoint) + ".topk-" + dSae + "-k" + opts.k() + "-"
                    + UUID.randomUUID().toString().substring(0, 8);
            SaeConfig cfg = opts.saeConfig(dIn);
            loop = TrainingLoop.create(cfg, opts.batch(), opts.shuffleBuffer(), opts.seed() ^ 0x5DEECE66DL,
                    first.activations(), first.rows());
            loop.listener(this::afterStep);
            promotion.set(new Dictionary(saeId, 0, loop.trainer().snapshot()), 0);
            log.info("new SAE {} for {}/{}: d_in={} d_sae={} k={} batch={} shuffle-buffer={} (dictionary v0 = the initialised SAE)",
                    saeId, model, hookpoint, dIn, dSae, opts.k(), opts.batch(), opts.shuffleBuffer());
            startOutputs();
            checkpoint("dictionary v0");
        } else {
            startOutputs();
        }
    }

    /** Meters and the codes encoder, once model and hookpoint are known. */
    private void startOutputs() {
        metrics = new TrainerMetrics(hookpoint, saeId);
        metrics.bindTo(registry);
        metrics.dictionaryVersion(promotion.version());
        if (cursor.lag() >= 0) {
            metrics.lag(cursor.lag());
        }
        if (opts.emitCodes()) {
            String codesTopic = Topics.codes(model, hookpoint);
            clients.ensureTopic(codesTopic, cursor.partitions().size());
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

    private void afterRecord() throws IOException, InterruptedException {
        if (loop == null) {
            if (opts.encodeOnly() && checkpoints.dueByTime()) {
                checkpoint("time");
            }
            return;
        }
        if (promotion.promoteIfDue(loop.trainer())) {
            Dictionary d = promotion.current();
            checkpoint("dictionary v" + d.version());
            metrics.dictionaryVersion(d.version());
            log.info("promoted dictionary v{} at {} trained tokens", d.version(), promotion.tokensAtPromotion());
            return;
        }
        if (checkpoints.due(trainedTokens())) {
            checkpoint("periodic");
        }
    }

    // ------------------------------------------------------------------ checkpoints

    /**
     * Writes model + bookkeeping atomically. Before writing, every code and dead letter of the consumed
     * records is flushed to Kafka, so a checkpoint never covers a record whose outputs could be lost.
     */
    private void checkpoint(String why) throws IOException, InterruptedException {
        if (encoder != null) {
            encoder.awaitIdle();
        }
        producer.flush();
        if (checkpoints.writes() && loop != null) {
            long t0 = System.nanoTime();
            Path dir = checkpoints.write(loop, promotion.current(), state(), model, hookpoint);
            metrics.checkpointWritten();
            log.info("checkpoint {} ({}) in {} ms: {} tokens trained, {} buffered, offsets {}", dir.getFileName(), why,
                    (System.nanoTime() - t0) / 1_000_000, trainedTokens(), loop.pendingRows(), cursor.offsets());
        }
        checkpoints.reset(trainedTokens());
        commitOffsets();
    }

    /** Kafka's committed offsets mirror the checkpoint for visibility only; the checkpoint is the truth. */
    private void commitOffsets() {
        Map<Integer, Long> offsets = cursor.offsets();
        if (offsets.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
        offsets.forEach((p, o) -> commit.put(new TopicPartition(opts.topic(), p), new OffsetAndMetadata(o)));
        try {
            consumer.commitSync(commit, Duration.ofSeconds(10));
        } catch (KafkaException e) {
            log.warn("could not commit offsets (visibility only): {}", e.toString());
        }
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
        model = s.model();
        hookpoint = s.hookpoint();
        saeId = s.saeId();
        dIn = s.dIn();
        promotion.set(new Dictionary(saeId, s.dictionaryVersion(),
                Sae.load(dir.resolve(CheckpointCoordinator.DICTIONARY_DIR))), s.dictionaryTokens());
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
                r == null ? Double.NaN : r.deadFraction(), cursor == null ? -1 : cursor.lag(), promotion == null ? 0 : promotion.version(),
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
