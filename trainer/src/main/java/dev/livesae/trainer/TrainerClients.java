package dev.livesae.trainer;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.TopicExistsException;
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

    TrainerClients(TrainerOptions opts) {
        this.opts = opts;
    }

    KafkaConsumer<byte[], byte[]> consumer() {
        return new KafkaConsumer<>(consumerConfig());
    }

    KafkaProducer<byte[], byte[]> producer() {
        return new KafkaProducer<>(producerConfig());
    }

    /** Creates {@code topic} unless it exists; a failure is logged and the topic is assumed to exist. */
    void ensureTopic(String topic, int partitionCount) {
        try (Admin admin = Admin.create(adminConfig())) {
            NewTopic t = new NewTopic(topic, Math.max(1, partitionCount), (short) 1)
                    .configs(Map.of("max.message.bytes", Integer.toString(MAX_MESSAGE_BYTES)));
            admin.createTopics(List.of(t)).all().get();
            log.info("created topic {}", topic);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                log.warn("could not create topic {} (will rely on it existing): {}", topic, e.getCause().toString());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * One per trainer identity (its consumer group, by default derived from the input topic): a restarted
     * trainer reuses it and so fences its predecessor.
     */
    String transactionalId() {
        return opts.groupId() + ".outputs";
    }

    Properties adminConfig() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, opts.bootstrap());
        return p;
    }

    Properties consumerConfig() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, opts.bootstrap());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, opts.groupId());
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "livesae-trainer-" + opts.topic());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(4 << 20)); // interleave partitions; a larger record still comes whole
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Integer.toString(128 << 20));
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "64");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return p;
    }

    Properties producerConfig() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, opts.bootstrap());
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "livesae-trainer-out-" + opts.topic());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId());
        p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, Integer.toString(TRANSACTION_TIMEOUT_MS));
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(MAX_MESSAGE_BYTES));
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(256L << 20));
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }
}
