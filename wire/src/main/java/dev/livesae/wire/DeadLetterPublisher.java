package dev.livesae.wire;

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
 * ({@link DeadLetters}), and reports them through a {@link RejectionLog}: counted in
 * {@code livesae.records.rejected{reason, component}} (every reason at 0 from construction), logged at most once
 * per reason per interval.
 * The caller keeps running: rejecting is the normal path for bad input, not an error.
 */
public final class DeadLetterPublisher {
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterPublisher.class);

    private final Producer<byte[], byte[]> producer;
    private final String component;
    private final RejectionLog rejections;

    public DeadLetterPublisher(Producer<byte[], byte[]> producer, MeterRegistry registry, String component) {
        this.producer = Checks.notNull("producer", producer);
        this.rejections = new RejectionLog(registry, component);
        this.component = component;
    }

    /** The counter for one reason (registered, at 0, when this publisher was built). */
    public Counter counter(RejectReason reason) {
        return rejections.counter(reason);
    }

    /** The meter every service uses to count rejected records ({@link RejectionLog#counter}). */
    public static Counter rejectedCounter(MeterRegistry registry, RejectReason reason, String component) {
        return RejectionLog.counter(registry, reason, component);
    }

    public Future<RecordMetadata> publish(String sourceTopic, int partition, long offset, byte[] key, byte[] value,
                                          RejectReason reason, String detail) {
        rejections.rejected(reason, sourceTopic + "-" + partition + "@" + offset, detail);
        String dlq = Topics.deadLetter(sourceTopic);
        DeadLetters.Copy copy = DeadLetters.copy(sourceTopic, partition, offset, key, value, reason, detail, component);
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(dlq, null, copy.key(), copy.value(), copy.headers());
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
