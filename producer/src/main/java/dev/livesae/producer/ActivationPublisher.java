package dev.livesae.producer;

import dev.livesae.clients.KafkaClientConfig;
import dev.livesae.wire.ActivationBatch;
import dev.livesae.wire.ActivationBatchSerializer;
import dev.livesae.wire.ActivationMeta;
import dev.livesae.wire.Topics;
import dev.livesae.wire.WireAllocator;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes activation rows to Kafka, one topic per hookpoint ({@link Topics#activations}), for an
 * inference service to embed.
 *
 * <p>{@link #publish} copies the rows into a per-hookpoint batch and returns; a batch is sealed when it
 * reaches {@code batchRows} rows, {@code batchBytes} activation bytes or {@code linger} age, and one
 * sender thread encodes it (one Kafka record = one {@link ActivationBatch} as an Arrow IPC stream) and
 * hands it to an idempotent {@code acks=all} Kafka producer. So encoding and sending overlap the
 * caller's next forward pass.
 *
 * <p>Memory is bounded: bytes of rows accepted and not yet acknowledged by Kafka (rows x (4 d + 16))
 * never exceed {@code maxBufferedBytes}, except that one batch is always admitted into an empty buffer.
 * When a publish would exceed it, {@link OnFull#BLOCK} waits for acknowledgements and
 * {@link OnFull#DROP} refuses the rest of the call and counts it in {@code livesae.producer.dropped}.
 * {@link #close()} publishes everything accepted (waiting up to {@code closeTimeout}).
 */
public final class ActivationPublisher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ActivationPublisher.class);
    private static final long ROW_OVERHEAD_BYTES = 16; // sequence id 8 + position 4 + token id 4

    private final PublisherOptions options;
    private final SequenceIds sequenceIds;
    private final String instanceId;
    private final byte[] key;
    private final Producer<byte[], ActivationBatch> producer;
    private final ActivationBatchSerializer serializer;
    private final PublisherMetrics metrics;

    private final ByteBudget budget;
    private final TopicCreator topics;

    private final Map<String, HookpointBatch> accumulators = new HashMap<>(); // guarded by itself
    private final LinkedBlockingQueue<Sealed> queue = new LinkedBlockingQueue<>();
    private final LongAdder acceptedRows = new LongAdder();
    private final Thread sender;
    private volatile boolean closed;

    /** A sealed batch with the bytes it holds in the buffer account. */
    record Sealed(String topic, ActivationBatch batch, long reservedBytes) {
        static final Sealed STOP = new Sealed("", null, 0);
    }

    public ActivationPublisher(PublisherOptions options) {
        this(options, null);
    }

    /** Also binds the publisher's meters to {@code registry} (may be null). */
    public ActivationPublisher(PublisherOptions options, MeterRegistry registry) {
        this.options = options;
        int producerId = options.producerId() >= 0 ? options.producerId() : SequenceIds.randomProducerId();
        this.sequenceIds = new SequenceIds(producerId);
        this.instanceId = String.format("livesae-producer-%04x", producerId);
        this.key = options.keyByProducer() ? instanceId.getBytes(StandardCharsets.UTF_8) : null;
        Map<String, Object> kafkaConfig = kafkaProperties(options, instanceId); // refuses bad properties before anything starts
        this.budget = new ByteBudget(options.maxBufferedBytes(), options.onFull());
        this.topics = new TopicCreator(clientConfig(options), instanceId + "-admin", options.createTopics(), options.topicPartitions());
        this.metrics = new PublisherMetrics(budget::bufferedBytes);
        if (registry != null) {
            metrics.bindTo(registry);
        }
        this.serializer = new ActivationBatchSerializer(WireAllocator.root());
        this.producer = new KafkaProducer<>(kafkaConfig, new ByteArraySerializer(), serializer);
        this.sender = new Thread(this::sendLoop, instanceId + "-sender");
        sender.setDaemon(true);
        sender.start();
        log.info("{} publishing model {} to {} ({} rows / {} bytes / {} ms batches, {}, buffer {} bytes, on full {})",
                instanceId, options.model(), options.bootstrapServers(), options.batchRows(), options.batchBytes(),
                options.linger().toMillis(), options.compression().kafkaName(), options.maxBufferedBytes(), options.onFull());
    }

    /**
     * The Kafka producer's configuration: tunable defaults derived from the options, then the user's properties
     * ({@link PublisherOptions#kafka()}), then what this publisher owns (acks=all, idempotence: a user value that
     * differs is refused).
     */
    static Map<String, Object> kafkaProperties(PublisherOptions o, String clientId) {
        long record = o.batchBytes() + 64L * 1024;
        Map<String, Object> defaults = new HashMap<>();
        defaults.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, o.compression().kafkaName());
        // records are already batched by rows/bytes/linger here; Kafka only needs to ship them
        defaults.put(ProducerConfig.LINGER_MS_CONFIG, "2");
        defaults.put(ProducerConfig.BATCH_SIZE_CONFIG, Long.toString(Math.max(16 * 1024, record)));
        defaults.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Long.toString(Math.max(1024 * 1024, record)));
        // this publisher bounds what is outstanding; Kafka's own buffer must hold at least that much
        defaults.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(Math.max(32L << 20, o.maxBufferedBytes() + 4 * record)));
        Map<String, Object> owned = Map.of(
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        return clientConfig(o).client("activation publisher", clientId, defaults, owned);
    }

    private static KafkaClientConfig clientConfig(PublisherOptions o) {
        return KafkaClientConfig.of(o.bootstrapServers(), o.kafka());
    }

    public PublisherOptions options() {
        return options;
    }

    /** Sequence ids of this run: {@code (producerId << 47) | counter}; see {@link SequenceIds}. */
    public SequenceIds sequenceIds() {
        return sequenceIds;
    }

    /** Client id and (UTF-8) record key: {@code livesae-producer-<producer id as 4 hex digits>}. */
    public String instanceId() {
        return instanceId;
    }

    /** The publisher's meters; bind them to further registries. */
    public MeterBinder metrics() {
        return metrics;
    }

    /**
     * Publishes {@code rows = sequenceIds.length} rows of one hookpoint: {@code activations} is row-major
     * [rows, d], d the same on every call for a hookpoint; {@code tokenIds} may be null. The arrays are
     * copied, so the caller may reuse them.
     *
     * @return true if all rows were accepted; false if (under DROP) the buffer was full and the rows from
     *     the first that did not fit on were dropped and counted
     */
    public boolean publish(String hookpoint, long[] sequenceIds, int[] positions, int[] tokenIds, float[] activations) {
        int rows = sequenceIds.length;
        if (positions.length != rows || (tokenIds != null && tokenIds.length != rows)) {
            throw new IllegalArgumentException("publish " + hookpoint + ": sequenceIds, positions and tokenIds must have "
                    + rows + " entries (got " + positions.length + ", " + (tokenIds == null ? "null" : tokenIds.length) + ")");
        }
        if (rows == 0) {
            return true;
        }
        if (activations.length == 0 || activations.length % rows != 0) {
            throw new IllegalArgumentException("publish " + hookpoint + ": activations length " + activations.length
                    + " is not rows (" + rows + ") x d");
        }
        int d = activations.length / rows;
        ensureOpen();
        HookpointBatch acc = accumulator(hookpoint, d);
        long rowBytes = 4L * d + ROW_OVERHEAD_BYTES;
        int done = 0;
        while (done < rows) {
            int n = Math.min(rows - done, acc.capacity);
            if (!budget.reserve(n * rowBytes, this::sealAll, this::ensureOpen)) {
                metrics.hook(hookpoint).dropped.add(rows - done);
                return false;
            }
            synchronized (accumulators) {
                for (int copied = 0; copied < n; ) {
                    int k = acc.append(sequenceIds, positions, tokenIds, activations, done + copied, n - copied);
                    copied += k;
                    if (acc.rows == acc.capacity) {
                        enqueue(acc.seal(rowBytes));
                    }
                }
            }
            acceptedRows.add(n);
            done += n;
        }
        return true;
    }

    /** Publishes a whole batch under its own hookpoint (its model must be this publisher's). */
    public boolean publish(ActivationBatch batch) {
        if (!batch.meta().model().equals(options.model())) {
            throw new IllegalArgumentException("batch model " + batch.meta().model() + " is not this publisher's model " + options.model());
        }
        return publish(batch.meta().hookpoint(), batch.sequenceIds(), batch.positions(), batch.tokenIds(), batch.activations());
    }

    /**
     * Seals every partial batch and waits until all accepted rows are acknowledged (or failed).
     *
     * @return false if that did not happen within {@code timeout}
     */
    public boolean flush(Duration timeout) {
        sealAll();
        return budget.awaitEmpty(timeout);
    }

    public PublisherStats stats() {
        long tokens = 0;
        long bytes = 0;
        long batches = 0;
        long dropped = 0;
        long errors = 0;
        for (PublisherMetrics.Hook h : metrics.hooks().values()) {
            tokens += h.tokens.sum();
            bytes += h.bytes.sum();
            batches += h.batches.sum();
            dropped += h.dropped.sum();
            errors += h.errors.sum();
        }
        return new PublisherStats(acceptedRows.sum(), tokens, bytes, batches, dropped, errors, bufferedBytes());
    }

    /** Bytes accepted and not yet acknowledged (or failed). */
    public long bufferedBytes() {
        return budget.bufferedBytes();
    }

    /** Threads currently blocked in {@link #publish} waiting for buffer space (BLOCK mode). */
    public int waitingPublishers() {
        return budget.waiting();
    }

    /** Publishes everything accepted so far (up to {@code closeTimeout}), then closes the Kafka producer. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        budget.wakeAll(); // blocked publishers fail with "closed"
        long deadline = System.nanoTime() + options.closeTimeout().toNanos();
        sealAll();
        queue.add(Sealed.STOP);
        boolean drained = budget.awaitEmpty(options.closeTimeout());
        try {
            sender.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long left = Math.max(0, deadline - System.nanoTime());
        producer.close(Duration.ofNanos(left));
        serializer.close();
        PublisherStats s = stats();
        if (!drained) {
            log.warn("{} closed before Kafka acknowledged {} buffered bytes (closeTimeout {})", instanceId, s.bufferedBytes(), options.closeTimeout());
        }
        log.info("{} closed: {} rows accepted, {} acknowledged in {} batches ({} bytes), {} dropped, {} failed batches",
                instanceId, s.acceptedRows(), s.ackedRows(), s.ackedBatches(), s.ackedBytes(), s.droppedRows(), s.failedBatches());
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(instanceId + " is closed");
        }
    }

    private HookpointBatch accumulator(String hookpoint, int d) {
        synchronized (accumulators) {
            HookpointBatch acc = accumulators.get(hookpoint);
            if (acc == null) {
                ActivationMeta meta = new ActivationMeta(options.model(), hookpoint, d);
                long rowBytes = 4L * d + ROW_OVERHEAD_BYTES;
                int capacity = (int) Math.max(1, Math.min(options.batchRows(), options.batchBytes() / rowBytes));
                acc = new HookpointBatch(Topics.activations(options.model(), hookpoint), meta, capacity);
                accumulators.put(hookpoint, acc);
                metrics.hook(hookpoint);
            } else if (acc.meta.dIn() != d) {
                throw new IllegalArgumentException("publish " + hookpoint + ": d is " + d + " but earlier batches of this hookpoint had d "
                        + acc.meta.dIn());
            }
            return acc;
        }
    }

    private void sealAll() {
        synchronized (accumulators) {
            for (HookpointBatch acc : accumulators.values()) {
                if (acc.rows > 0) {
                    enqueue(acc.seal(4L * acc.meta.dIn() + ROW_OVERHEAD_BYTES));
                }
            }
        }
    }

    private void sealLingering(long now) {
        long linger = options.linger().toNanos();
        synchronized (accumulators) {
            for (HookpointBatch acc : accumulators.values()) {
                if (acc.rows > 0 && now - acc.firstRowNanos >= linger) {
                    enqueue(acc.seal(4L * acc.meta.dIn() + ROW_OVERHEAD_BYTES));
                }
            }
        }
    }

    private void enqueue(Sealed s) {
        queue.add(s);
    }

    private void sendLoop() {
        long tick = Math.max(1, Math.min(options.linger().toMillis() / 2, 100));
        try {
            while (true) {
                Sealed s = queue.poll(tick, TimeUnit.MILLISECONDS);
                if (s == Sealed.STOP) {
                    // close() sealed everything before STOP; send what is left
                    for (Sealed rest = queue.poll(); rest != null; rest = queue.poll()) {
                        if (rest != Sealed.STOP) {
                            send(rest);
                        }
                    }
                    return;
                }
                if (s != null) {
                    send(s);
                }
                sealLingering(System.nanoTime());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void send(Sealed s) {
        PublisherMetrics.Hook hook = metrics.hook(s.batch().meta().hookpoint());
        topics.ensure(s.topic());
        long t0 = System.nanoTime();
        try {
            producer.send(new ProducerRecord<>(s.topic(), key, s.batch()), (md, error) -> {
                hook.recordLatency(System.nanoTime() - t0);
                if (error == null) {
                    hook.tokens.add(s.batch().rows());
                    hook.batches.increment();
                    hook.bytes.add(Math.max(0, md.serializedValueSize()));
                } else {
                    failed(hook, s, error);
                }
                budget.release(s.reservedBytes());
            });
        } catch (RuntimeException e) {
            failed(hook, s, e);
            budget.release(s.reservedBytes());
        }
    }

    private void failed(PublisherMetrics.Hook hook, Sealed s, Throwable error) {
        hook.errors.increment();
        long n = hook.errors.sum();
        if (n <= 10 || n % 100 == 0) {
            log.warn("{}: batch of {} rows to {} failed ({} failures so far): {}", instanceId, s.batch().rows(), s.topic(), n, error.toString());
        }
    }
}
