package dev.livesae.producer;

import dev.livesae.wire.ActivationBatch;
import dev.livesae.wire.ActivationBatchDeserializer;
import dev.livesae.wire.DecodeLimits;
import dev.livesae.wire.WireAllocator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads activation batches back from a topic's partition 0 with the wire deserializer. */
final class TopicReader {
    private TopicReader() {
    }

    /** Polls from the beginning until at least {@code rows} rows arrived (or 60 s passed), then returns all batches read. */
    static List<ConsumerRecord<byte[], ActivationBatch>> readRows(String bootstrap, String topic, long rows) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(8 << 20));
        List<ConsumerRecord<byte[], ActivationBatch>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], ActivationBatch> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ActivationBatchDeserializer(WireAllocator.root(), DecodeLimits.defaults()))) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            long got = 0;
            while (got < rows && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], ActivationBatch> r : consumer.poll(Duration.ofMillis(200))) {
                    out.add(r);
                    got += r.value().rows();
                }
            }
            // anything beyond the expected rows (there should be nothing) shows up here too
            for (ConsumerRecord<byte[], ActivationBatch> r : consumer.poll(Duration.ofMillis(300))) {
                out.add(r);
            }
        }
        return out;
    }

    static long rows(List<ConsumerRecord<byte[], ActivationBatch>> records) {
        return records.stream().mapToLong(r -> r.value().rows()).sum();
    }
}
