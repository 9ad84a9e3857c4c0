package dev.livesae.trainer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import dev.livesae.clients.TopicAdmin;
import dev.livesae.clients.TopicSettings;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import dev.livesae.engine.Sae;
import dev.livesae.service.ServiceHttpServer;
import dev.livesae.engine.SaeConfig;
import dev.livesae.engine.StepResult;
import dev.livesae.trainer.checkpoint.CheckpointStore;
import dev.livesae.trainer.checkpoint.TrainerState;
import dev.livesae.trainer.checkpoint.TrainerState.SkippedRange;
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
 * <p>Threads: the training thread (the caller of {@link #run}) owns the consumer, the engine and the
 * checkpoint; a second thread encodes and publishes codes. {@link #stop}, {@link #progress} and
 * {@link #onProgress} may be called from any thread.
 */
public final class TrainerService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TrainerService.class);
    public static final String COMPONENT = "trainer";
    static final String DICTIONARY_DIR = "dictionary";
    private static final Duration POLL = Duration.ofMillis(200);
    private static final long LAG_CHECK_NANOS = 500_000_000L;
    private static final int ENCODER_QUEUE = 16;

    private final TrainerOptions opts;
    private final MeterRegistry registry;
    private final List<Consumer<TrainerProgress>> listeners = new CopyOnWriteArrayList<>();
    private final CompletableFuture<TrainerProgress> finished = new CompletableFuture<>();
    private volatile boolean stopRequested;
    private volatile boolean started;
    private volatile TrainerProgress progress = TrainerProgress.NOT_STARTED;
    private volatile ServiceHttpServer metricsServer;
    private volatile Path lastCheckpoint;

    // ---- state owned by the training thread ----
    private KafkaConsumer<byte[], byte[]> consumer;
    private KafkaProducer<byte[], byte[]> producer;
    private DeadLetterPublisher deadLetters;
    private ActivationBatchCodec codec;
    private CodeEncoder encoder;
    private BufferAllocator allocator;
    private CheckpointStore store;
    private List<TopicPartition> partitions = List.of();
    private final Map<Integer, Long> offsets = new TreeMap<>();
    private String model;
    private String hookpoint;
    private int dIn;
    private String saeId;
    private TrainingLoop loop;
    private Dictionary dictionary;
    private long dictionaryTokens;
    private long tokensConsumed;
    private final Map<String, Long> rejected = new TreeMap<>();
    private long skippedRecords;
    private final Deque<SkippedRange> skippedRanges = new ArrayDeque<>();
    private long checkpoints;
    private long tokensAtCheckpoint;
    private long nanosAtCheckpoint;
    private TrainerMetrics metrics;
    private long lag = -1;
    private long lastLagCheck;
    private final AtomicLong codeBatches = new AtomicLong();
    private long lastProgressNanos;
    private long trainingStartNanos = -1;
    private long trainingEndNanos = -1;
    private long checkpointNanos;
    private long tokensAtLastProgress;
    private final TopicSettings topicSettings;

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
        this.registry = registry;
        this.topicSettings = topicSettings;
    }

    public TrainerOptions options() { return opts; }
    public MeterRegistry registry() { return registry; }

    /** Latest progress snapshot; {@link TrainerProgress#NOT_STARTED} before the first one. */
    public TrainerProgress progress() { return progress; }

    /** Registers a listener called on the training thread with every progress snapshot. */
    public void onProgress(Consumer<TrainerProgress> listener) { listeners.add(listener); }

    /** The checkpoint directory written last by this service, if any. */
    public Optional<Path> lastCheckpoint() { return Optional.ofNullable(lastCheckpoint); }

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
            producer = new KafkaProducer<>(producerConfig(opts));
            closeables.add(producer);
            closeables.add(bind(new KafkaClientMetrics(producer)));
            deadLetters = new DeadLetterPublisher(producer, registry, COMPONENT);
            consumer = new KafkaConsumer<>(consumerConfig(opts));
            closeables.add(consumer);
            closeables.add(bind(new KafkaClientMetrics(consumer)));

            if (!opts.encodeOnly()) {
                store = new CheckpointStore(opts.checkpointDir());
                Optional<Path> ck = store.latest();
                if (ck.isPresent()) {
                    restore(ck.get());
                }
            } else {
                Sae frozen = Sae.load(opts.sae());
                String id = opts.saeId() != null ? opts.saeId() : "frozen-" + opts.sae().toAbsolutePath().getFileName();
                dictionary = new Dictionary(id, opts.dictionaryVersion(), frozen);
                saeId = id;
                dIn = frozen.dIn();
                log.info("encode-only with frozen SAE {} (d_in={}, d_sae={}, k={}) as {} v{}", opts.sae(), frozen.dIn(),
                        frozen.dSae(), frozen.k(), id, opts.dictionaryVersion());
            }
            if (!assignPartitions()) {
                return finish(closeables);
            }
            ensureTopic(Topics.deadLetter(opts.topic()));
            if (model != null) {
                startOutputs();
            }
            nanosAtCheckpoint = System.nanoTime();
            lastProgressNanos = nanosAtCheckpoint;
            tokensAtLastProgress = trainedTokens();
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
            ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
            for (ConsumerRecord<byte[], byte[]> rec : records) {
                if (stopRequested) {
                    break;
                }
                handle(rec);
                offsets.put(rec.partition(), rec.offset() + 1);
                afterRecord();
                if (opts.maxTokens() > 0 && tokensConsumed >= opts.maxTokens()) {
                    reachedMax = true;
                    break;
                }
            }
            if (!reachedMax) {
                checkLag(false);
            }
            maybeProgress();
        }
        if (reachedMax && loop != null) {
            log.info("--max-tokens {} reached ({} consumed): training the {} buffered rows", opts.maxTokens(),
                    tokensConsumed, loop.pendingRows());
            loop.drain();
        }
        trainingEndNanos = System.nanoTime();
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
            if (!partitions.isEmpty()) {
                checkLag(true);
            }
            p = snapshot(false, 0);
        } finally {
            closeQuietly(closeables);
        }
        publish(p);
        return p;
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
        if (encoder != null) {
            // keyed by SAE id (docs/wire-format.md): one SAE's codes share a partition, so a monitor task sees
            // every window of that SAE in order
            encoder.submit(b, dictionary.saeId().getBytes(java.nio.charset.StandardCharsets.UTF_8), dictionary);
        }
        if (loop != null) {
            if (trainingStartNanos < 0) {
                trainingStartNanos = System.nanoTime();
            }
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
            dictionary = new Dictionary(saeId, 0, loop.trainer().snapshot());
            dictionaryTokens = 0;
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
        metrics.dictionaryVersion(dictionary.version());
        if (lag >= 0) {
            metrics.lag(lag);
        }
        if (opts.emitCodes()) {
            String codesTopic = Topics.codes(model, hookpoint);
            ensureTopic(codesTopic);
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
            if (opts.encodeOnly() && System.nanoTime() - nanosAtCheckpoint >= opts.checkpointEvery().toNanos()) {
                checkpoint("time");
            }
            return;
        }
        long trainedNow = loop.trainer().tokensSeen();
        if (opts.promoteEvery() > 0 && trainedNow - dictionaryTokens >= opts.promoteEvery()) {
            dictionary = new Dictionary(saeId, dictionary.version() + 1, loop.trainer().snapshot());
            dictionaryTokens = trainedNow;
            checkpoint("dictionary v" + dictionary.version());
            metrics.dictionaryVersion(dictionary.version());
            log.info("promoted dictionary v{} at {} trained tokens", dictionary.version(), trainedNow);
            return;
        }
        long dueTokens = opts.checkpointEveryTokens();
        long dueNanos = opts.checkpointEvery().toNanos();
        if ((dueTokens > 0 && trainedTokens() - tokensAtCheckpoint >= dueTokens)
                || (dueNanos > 0 && System.nanoTime() - nanosAtCheckpoint >= dueNanos)) {
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
        if (store != null && loop != null) {
            long t0 = System.nanoTime();
            TrainerState state = state();
            Path dir = store.write(loop.trainer().step(), tmp -> {
                loop.writeInto(tmp, model, hookpoint);
                Path dict = tmp.resolve(DICTIONARY_DIR);
                Files.createDirectories(dict);
                dictionary.sae().save(dict, model, hookpoint);
                state.write(tmp);
            });
            lastCheckpoint = dir;
            checkpointNanos += System.nanoTime() - t0;
            checkpoints++;
            metrics.checkpointWritten();
            log.info("checkpoint {} ({}) in {} ms: {} tokens trained, {} buffered, offsets {}", dir.getFileName(), why,
                    (System.nanoTime() - t0) / 1_000_000, trainedTokens(), loop.pendingRows(), offsets);
        }
        tokensAtCheckpoint = trainedTokens();
        nanosAtCheckpoint = System.nanoTime();
        commitOffsets();
    }

    /** Kafka's committed offsets mirror the checkpoint for visibility only; the checkpoint is the truth. */
    private void commitOffsets() {
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
        return new TrainerState(TrainerState.FORMAT, opts.topic(), model, hookpoint, saeId, dIn, loop.trainer().step(),
                tokensConsumed, offsets, loop.consumed(), loop.trained(), loop.skippedStep(), loop.skippedSteps(),
                rejected, skippedRecords, List.copyOf(skippedRanges), dictionary.version(), dictionaryTokens,
                checkpoints + 1, System.currentTimeMillis());
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
        dictionary = new Dictionary(saeId, s.dictionaryVersion(), Sae.load(dir.resolve(DICTIONARY_DIR)));
        dictionaryTokens = s.dictionaryTokens();
        tokensConsumed = s.tokensConsumed();
        offsets.putAll(s.offsets());
        rejected.putAll(s.rejected());
        skippedRecords = s.skippedRecords();
        skippedRanges.addAll(s.skippedRanges());
        checkpoints = s.checkpointsWritten();
        tokensAtCheckpoint = trainedTokens();
        lastCheckpoint = dir;
        if (loop.batch() != opts.batch() || loop.shuffleCapacity() != opts.shuffleBuffer()) {
            log.warn("resuming with the checkpoint's --batch {} and --shuffle-buffer {} (flags {} and {} apply to new "
                    + "trainers only)", loop.batch(), loop.shuffleCapacity(), opts.batch(), opts.shuffleBuffer());
        }
        log.info("resumed from {}: step {}, {} tokens trained, {} buffered, dictionary v{}, offsets {}", dir,
                s.step(), s.trained().count(), loop.pendingRows(), s.dictionaryVersion(), s.offsets());
    }

    // ------------------------------------------------------------------ Kafka plumbing

    /** Assigns every partition of the topic and seeks each to its checkpoint offset. False if stopped first. */
    private boolean assignPartitions() throws InterruptedException {
        List<PartitionInfo> infos = List.of();
        long warnAt = System.nanoTime();
        while (!stopRequested) {
            try {
                infos = consumer.partitionsFor(opts.topic(), Duration.ofSeconds(5));
            } catch (KafkaException e) {
                log.debug("partitionsFor {}: {}", opts.topic(), e.toString());
                infos = List.of();
            }
            if (infos != null && !infos.isEmpty()) {
                break;
            }
            if (System.nanoTime() - warnAt > 0) {
                log.info("waiting for topic {} to exist", opts.topic());
                warnAt = System.nanoTime() + 30_000_000_000L;
            }
            Thread.sleep(500);
        }
        if (stopRequested) {
            return false;
        }
        List<TopicPartition> tps = new ArrayList<>();
        for (PartitionInfo pi : infos) {
            tps.add(new TopicPartition(pi.topic(), pi.partition()));
        }
        tps.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
        partitions = List.copyOf(tps);
        consumer.assign(partitions);
        Map<TopicPartition, OffsetAndMetadata> committed = opts.encodeOnly()
                ? consumer.committed(new HashSet<>(partitions), Duration.ofSeconds(10)) : Map.of();
        List<TopicPartition> fresh = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            Long at = offsets.get(tp.partition());
            if (at == null && committed.get(tp) != null) {
                at = committed.get(tp).offset();
                offsets.put(tp.partition(), at);
            }
            if (at != null) {
                consumer.seek(tp, at);
            } else {
                fresh.add(tp);
            }
        }
        if (!fresh.isEmpty()) {
            Map<TopicPartition, Long> start = opts.start() == StartPosition.EARLIEST
                    ? consumer.beginningOffsets(fresh, Duration.ofSeconds(10))
                    : consumer.endOffsets(fresh, Duration.ofSeconds(10));
            for (TopicPartition tp : fresh) {
                long at = start.get(tp);
                consumer.seek(tp, at);
                offsets.put(tp.partition(), at);
            }
        }
        log.info("consuming {} partitions of {} from offsets {}", partitions.size(), opts.topic(), offsets);
        return true;
    }

    /** Updates the lag; under {@code --catch-up latest} skips ahead when it exceeds {@code --max-lag}. */
    private void checkLag(boolean force) {
        long now = System.nanoTime();
        if (!force && now - lastLagCheck < LAG_CHECK_NANOS) {
            return;
        }
        lastLagCheck = now;
        Map<TopicPartition, Long> ends;
        try {
            ends = consumer.endOffsets(partitions, Duration.ofSeconds(5));
        } catch (KafkaException e) {
            log.debug("endOffsets: {}", e.toString());
            return;
        }
        long total = 0;
        for (TopicPartition tp : partitions) {
            total += Math.max(0, ends.getOrDefault(tp, 0L) - offsets.getOrDefault(tp.partition(), 0L));
        }
        lag = total;
        if (!force && opts.catchUp() == CatchUpPolicy.LATEST && total > opts.maxLag()) {
            long keepPerPartition = opts.maxLag() / (2L * partitions.size());
            long skipped = 0;
            List<SkippedRange> ranges = new ArrayList<>();
            for (TopicPartition tp : partitions) {
                long from = offsets.getOrDefault(tp.partition(), 0L);
                long to = Math.max(from, ends.getOrDefault(tp, 0L) - keepPerPartition);
                if (to > from) {
                    consumer.seek(tp, to);
                    offsets.put(tp.partition(), to);
                    ranges.add(new SkippedRange(tp.partition(), from, to, trainedTokens(), System.currentTimeMillis()));
                    skipped += to - from;
                }
            }
            for (SkippedRange r : ranges) {
                skippedRanges.addLast(r);
                while (skippedRanges.size() > TrainerState.MAX_RANGES) {
                    skippedRanges.removeFirst();
                }
            }
            skippedRecords += skipped;
            if (metrics != null) {
                metrics.catchUpSkipped(skipped);
            }
            log.warn("lag {} records > --max-lag {}: --catch-up latest skipped {} records {}", total, opts.maxLag(),
                    skipped, ranges);
            lag = total - skipped;
        }
        if (metrics != null) {
            metrics.lag(lag);
        }
    }

    /** Creates an output topic unless it exists, with {@link #topicSettings} (through the client layer's TopicAdmin). */
    private void ensureTopic(String topic) {
        try (Admin admin = Admin.create(opts.kafka().admin("livesae-trainer-admin-" + opts.topic()))) {
            TopicAdmin.createTopic(admin, topic, topicSettings, Map.of("max.message.bytes", Integer.toString(64 << 20)));
        } catch (IllegalStateException e) {
            log.warn("could not create topic {} (will rely on it existing): {}", topic, e.getMessage());
        }
    }

    /** The trainer consumer's configuration; refuses a user property the trainer owns (IllegalArgumentException). */
    static Map<String, Object> consumerConfig(TrainerOptions opts) {
        Map<String, Object> tunable = Map.of(
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(4 << 20), // interleave partitions; a larger record still comes whole
                ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Integer.toString(128 << 20),
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "64");
        Map<String, Object> owned = Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, opts.groupId(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return opts.kafka().client("trainer consumer", "livesae-trainer-" + opts.topic(), tunable, owned);
    }

    /** The output producer's configuration; refuses a user property the trainer owns (IllegalArgumentException). */
    static Map<String, Object> producerConfig(TrainerOptions opts) {
        Map<String, Object> tunable = Map.of(
                ProducerConfig.LINGER_MS_CONFIG, "5",
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(64 << 20),
                ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(256L << 20));
        Map<String, Object> owned = Map.of(
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return opts.kafka().client("trainer output producer", "livesae-trainer-out-" + opts.topic(), tunable, owned);
    }

    // ------------------------------------------------------------------ progress

    private long trainedTokens() {
        return loop == null ? 0 : loop.trained().count();
    }

    private void maybeProgress() {
        long now = System.nanoTime();
        long dt = now - lastProgressNanos;
        if (dt < opts.progressEvery().toNanos()) {
            return;
        }
        long trained = trainedTokens();
        double rate = (trained - tokensAtLastProgress) * 1e9 / dt;
        lastProgressNanos = now;
        tokensAtLastProgress = trained;
        publish(snapshot(true, rate));
    }

    private TrainerProgress snapshot(boolean running, double rate) {
        StepResult r = loop == null ? null : loop.last();
        long totalRejected = rejected.values().stream().mapToLong(Long::longValue).sum();
        long end = trainingEndNanos >= 0 ? trainingEndNanos : System.nanoTime();
        double trainingSeconds = trainingStartNanos < 0 ? 0 : (end - trainingStartNanos) / 1e9;
        return new TrainerProgress(trainedTokens(), tokensConsumed, rate, loop == null ? 0 : loop.trainer().step(),
                r == null ? Double.NaN : r.fvu(), r == null ? Double.NaN : r.l0(),
                r == null ? Double.NaN : r.deadFraction(), lag, dictionary == null ? 0 : dictionary.version(),
                checkpoints, totalRejected, loop == null ? 0 : loop.skippedSteps(), skippedRecords, codeBatches.get(), trainingSeconds, checkpointNanos / 1e9, running);
    }

    private void publish(TrainerProgress p) {
        progress = p;
        for (Consumer<TrainerProgress> l : listeners) {
            try {
                l.accept(p);
            } catch (RuntimeException e) {
                log.warn("progress listener failed", e);
            }
        }
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
