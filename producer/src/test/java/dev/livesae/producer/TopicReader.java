package dev.livesae.producer;

import dev.livesae.kafka.test.TopicRecords;
import dev.livesae.wire.ActivationBatch;
import dev.livesae.wire.ActivationBatchDeserializer;
import dev.livesae.wire.DecodeLimits;
import dev.livesae.wire.WireAllocator;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads activation batches back from a topic with the wire deserializer. */
final class TopicReader {
    private TopicReader() {
    }

    /** Reads from the beginning until at least {@code rows} rows arrived (or 60 s passed), then returns all batches read. */
    static List<ConsumerRecord<byte[], ActivationBatch>> readRows(String bootstrap, String topic, long rows) {
        return TopicRecords.readUntil(bootstrap, topic, IsolationLevel.READ_UNCOMMITTED, new ByteArrayDeserializer(),
                new ActivationBatchDeserializer(WireAllocator.root(), DecodeLimits.defaults()), got -> rows(got) >= rows);
    }

    static long rows(List<ConsumerRecord<byte[], ActivationBatch>> records) {
        return records.stream().mapToLong(r -> r.value().rows()).sum();
    }
}
