package dev.livesae.monitor;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import dev.livesae.clients.KafkaClientConfig;
import dev.livesae.wire.Topics;
import dev.livesae.wire.Vocabulary;
import dev.livesae.wire.WireFormatException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Token text for the explorer: reads a model's vocabulary from the compacted topic {@code vocab.<model>} the first
 * time it is asked for (and again at most every {@link #RETRY} while the topic has none), then keeps it. The monitor
 * never loads a model.
 */
final class VocabularyCache {
    private static final Logger LOG = LoggerFactory.getLogger(VocabularyCache.class);
    static final Duration RETRY = Duration.ofSeconds(10);
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(10);

    /** No vocabulary at all (tests of routes without a broker). */
    static final VocabularyCache NONE = new VocabularyCache(null, null);

    private final KafkaClientConfig kafka;
    private final String clientId;
    private final Map<String, Vocabulary> loaded = new ConcurrentHashMap<>();
    private final Map<String, Long> lastAttempt = new ConcurrentHashMap<>();

    VocabularyCache(KafkaClientConfig kafka, String clientId) {
        this.kafka = kafka;
        this.clientId = clientId;
    }

    /** The vocabulary of {@code model}, or empty when none has been published (yet). */
    Optional<Vocabulary> get(String model) {
        Vocabulary v = loaded.get(model);
        if (v != null || kafka == null) {
            return Optional.ofNullable(v);
        }
        long now = System.nanoTime();
        Long last = lastAttempt.get(model);
        if (last != null && now - last < RETRY.toNanos()) {
            return Optional.empty();
        }
        lastAttempt.put(model, now);
        synchronized (this) {
            v = loaded.get(model);
            if (v == null) {
                v = read(model);
                if (v != null) {
                    loaded.put(model, v);
                }
            }
        }
        return Optional.ofNullable(v);
    }

    /** The last vocabulary record keyed {@code model} on {@code vocab.<model>}, or null. */
    private Vocabulary read(String model) {
        String topic = Topics.vocab(model);
        Map<String, Object> config = kafka.client("vocabulary reader", clientId, Map.of(
                        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 32 << 20,
                        ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 << 20),
                Map.of(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
                        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false));
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config)) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, READ_TIMEOUT);
            if (infos == null || infos.isEmpty()) {
                LOG.info("no vocabulary topic {} yet; contexts show token ids", topic);
                return null;
            }
            List<TopicPartition> parts = infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts, READ_TIMEOUT);
            byte[] latest = null;
            long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
            while (System.nanoTime() < deadline && parts.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.key() != null && model.equals(new String(r.key(), StandardCharsets.UTF_8))) {
                        latest = r.value(); // a tombstone (null) withdraws an earlier one
                    }
                }
            }
            if (latest == null) {
                LOG.info("{} holds no vocabulary keyed {}; contexts show token ids", topic, model);
                return null;
            }
            Vocabulary v = Vocabulary.decode(model, latest);
            LOG.info("read the vocabulary of {} ({} tokens) from {}", model, v.size(), topic);
            return v;
        } catch (WireFormatException e) {
            LOG.warn("unreadable vocabulary on {}: {}", topic, e.getMessage());
            return null;
        } catch (RuntimeException e) {
            LOG.warn("cannot read the vocabulary from {}: {}", topic, e.toString());
            return null;
        }
    }
}
