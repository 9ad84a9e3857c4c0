package dev.livesae.wire;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends rejected records, unchanged, to {@code dlq.<source topic>} with headers saying why
 * ({@link DeadLetters}), and counts them in {@code livesae.records.rejected{reason, component}}.
 * The caller keeps running: rejecting is the normal path for bad input, not an error.
 */
public final class DeadLetterPublisher {
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterPublisher.class);

    private final Producer<byte[], byte[]> producer;
    private final MeterRegistry registry;
    private final String component;
    private final Map<RejectReason, Counter> counters = new ConcurrentHashMap<>();

    public DeadLetterPublisher(Producer<byte[], byte[]> producer, MeterRegistry registry, String component) {
        this.producer = Checks.notNull("producer", producer);
        this.registry = Checks.notNull("registry", registry);
        Checks.text("component", component);
        this.component = component;
    }

    /** The counter for one reason, registered on first use. */
    public Counter counter(RejectReason reason) {
        return counters.computeIfAbsent(reason, r -> rejectedCounter(registry, r, component));
    }

    /** The meter every service uses to count rejected records. */
    public static Counter rejectedCounter(MeterRegistry registry, RejectReason reason, String component) {
        return Counter.builder("livesae.records.rejected")
                .description("Records rejected and sent to the dead-letter topic, by reason")
                .baseUnit("records")
                .tag("reason", reason.name())
                .tag("component", component)
                .register(registry);
    }

    public Future<RecordMetadata> publish(String sourceTopic, int partition, long offset, byte[] key, byte[] value,
                                          RejectReason reason, String detail) {
        counter(reason).increment();
        LOG.warn("rejected {}-{}@{}: {} {}", sourceTopic, partition, offset, reason, detail);
        String dlq = Topics.deadLetter(sourceTopic);
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(dlq, null, key, value,
                DeadLetters.headers(sourceTopic, partition, offset, reason, detail, component));
        return producer.send(record, (md, e) -> {
            if (e != null) {
                LOG.error("could not write dead letter for {}-{}@{} to {}", sourceTopic, partition, offset, dlq, e);
            }
        });
    }

    public Future<RecordMetadata> publish(String sourceTopic, int partition, long offset, byte[] key, byte[] value,
                                          WireFormatException e) {
        return publish(sourceTopic, partition, offset, key, value, e.reason(), e.detail());
    }
}
