package dev.livesae.trainer;

import dev.livesae.clients.TopicAdmin;
import dev.livesae.clients.TopicSettings;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every Kafka client the trainer creates, and its configuration, in one place: the activation consumer, the
 * producer of codes and dead letters, and the admin client that creates output topics.
 */
final class TrainerClients {
    private static final Logger log = LoggerFactory.getLogger(TrainerClients.class);
    /** Output topics accept records this large (a code batch of 65,536 rows fits). */
    static final int MAX_MESSAGE_BYTES = 64 << 20;

    /**
     * The broker aborts a transaction open this long; the trainer commits every {@code --commit-interval-ms},
     * and a killed trainer's transaction blocks read_committed consumers of its partitions at most this long
     * (a restarted trainer aborts it at once).
     */
    static final int TRANSACTION_TIMEOUT_MS = 60_000;

    private final TrainerOptions opts;
    private final TopicSettings topicSettings;

    /** @param topicSettings partitions and replication factor of the output topics it creates (empty = broker default) */
    TrainerClients(TrainerOptions opts, TopicSettings topicSettings) {
        this.opts = opts;
        this.topicSettings = topicSettings;
    }

    KafkaConsumer<byte[], byte[]> consumer() {
        return new KafkaConsumer<>(consumerConfig(opts));
    }

    KafkaProducer<byte[], byte[]> producer() {
        return new KafkaProducer<>(producerConfig(opts));
    }

    /**
     * Creates {@code topic} with the topic settings unless it exists (an existing topic is used as it is); a
     * failure is logged and the topic is assumed to exist, so a principal without CREATE still works.
     */
    void ensureTopic(String topic) {
        try (Admin admin = Admin.create(opts.kafka().admin("livesae-trainer-admin-" + opts.topic()))) {
            TopicAdmin.createTopic(admin, topic, topicSettings, Map.of("max.message.bytes", Integer.toString(MAX_MESSAGE_BYTES)));
        } catch (IllegalStateException e) {
            log.warn("could not create topic {} (will rely on it existing): {}", topic, e.getMessage());
        }
    }

    /**
     * One per trainer identity (its consumer group, by default derived from the input topic): a restarted
     * trainer reuses it and so fences its predecessor.
     */
    static String transactionalId(TrainerOptions opts) {
        return opts.groupId() + ".outputs";
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

    /**
     * The output producer's configuration: transactional (docs/trainer.md, "Exactly-once outputs"); refuses a user
     * property the trainer owns (IllegalArgumentException).
     */
    static Map<String, Object> producerConfig(TrainerOptions opts) {
        Map<String, Object> tunable = Map.of(
                ProducerConfig.LINGER_MS_CONFIG, "5",
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(MAX_MESSAGE_BYTES),
                ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(256L << 20),
                ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, Integer.toString(TRANSACTION_TIMEOUT_MS));
        Map<String, Object> owned = Map.of(
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true",
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId(opts),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return opts.kafka().client("trainer output producer", "livesae-trainer-out-" + opts.topic(), tunable, owned);
    }
}
