package dev.livesae.kafka.test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Test helper: read a whole topic, every partition, from the beginning without a consumer group. */
public final class TopicRecords {

    private TopicRecords() {
    }

    /** String keys and values; see {@link #readAll(String, String, int, IsolationLevel, Deserializer, Deserializer)}. */
    public static List<ConsumerRecord<String, String>> readAll(String bootstrap, String topic, int expected, IsolationLevel isolation) {
        return readAll(bootstrap, topic, expected, isolation, new StringDeserializer(), new StringDeserializer());
    }

    /** Reads until {@code expected} records arrived or 60 s passed; then one more short poll to catch extras. */
    public static <K, V> List<ConsumerRecord<K, V>> readAll(String bootstrap, String topic, int expected, IsolationLevel isolation,
                                                            Deserializer<K> keys, Deserializer<V> values) {
        return readUntil(bootstrap, topic, isolation, keys, values, got -> got.size() >= expected);
    }

    /**
     * Reads until {@code done} holds for what arrived so far or 60 s passed; then one more short poll, so that
     * anything beyond what was expected (there should be nothing) shows up too.
     */
    public static <K, V> List<ConsumerRecord<K, V>> readUntil(String bootstrap, String topic, IsolationLevel isolation,
                                                              Deserializer<K> keys, Deserializer<V> values,
                                                              Predicate<List<ConsumerRecord<K, V>>> done) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation.toString().toLowerCase(Locale.ROOT));
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(32 << 20));
        List<ConsumerRecord<K, V>> out = new ArrayList<>();
        try (KafkaConsumer<K, V> consumer = new KafkaConsumer<>(p, keys, values)) {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            // the topic may not exist yet (a publisher creates it on its first send): wait for it
            List<TopicPartition> parts = List.of();
            while (parts.isEmpty()) {
                parts = consumer.partitionsFor(topic).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
                if (parts.isEmpty()) {
                    if (System.nanoTime() > deadline) {
                        return out;
                    }
                    sleep(100);
                }
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            while (!done.test(out) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            consumer.poll(Duration.ofMillis(300)).forEach(out::add);
        }
        return out;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a topic", e);
        }
    }
}
