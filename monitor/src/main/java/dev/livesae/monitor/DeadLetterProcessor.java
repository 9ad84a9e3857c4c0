package dev.livesae.monitor;

import java.util.HashSet;
import java.util.Set;

import dev.livesae.wire.DeadLetters;
import dev.livesae.wire.Topics;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Turns a rejected record into its dead letter: the original key and value bytes, to {@code dlq.<source topic>},
 * with the wire's {@link DeadLetters} headers; counts it in {@code livesae.records.rejected{component=monitor}} and
 * logs it at most once per reason per interval ({@link dev.livesae.wire.RejectionLog}).
 */
final class DeadLetterProcessor implements Processor<String, Decoded, byte[], Outbound> {
    private final MonitorMetrics metrics;
    private final TopicProvisioner topics;
    private final Set<String> provisioned = new HashSet<>();
    private ProcessorContext<byte[], Outbound> context;

    DeadLetterProcessor(MonitorMetrics metrics, TopicProvisioner topics) {
        this.metrics = metrics;
        this.topics = topics;
    }

    @Override
    public void init(ProcessorContext<byte[], Outbound> context) {
        this.context = context;
    }

    @Override
    public void process(Record<String, Decoded> record) {
        Decoded.Rejected r = (Decoded.Rejected) record.value();
        RecordMetadata source = context.recordMetadata()
                .orElseThrow(() -> new IllegalStateException("a rejected record has no source metadata"));
        metrics.rejected(r.reason(), source.topic() + "-" + source.partition() + "@" + source.offset(), r.detail());
        DeadLetters.Copy copy = DeadLetters.copy(source.topic(), source.partition(), source.offset(), r.key(), r.value(),
                r.reason(), r.detail(), MonitorMetrics.COMPONENT);
        String dlq = Topics.deadLetter(source.topic());
        if (provisioned.add(dlq)) {
            topics.ensure(Set.of(dlq));
        }
        context.forward(new Record<>(copy.key(), new Outbound(dlq, copy.value()), record.timestamp(), copy.headers()));
    }
}
