package dev.livesae.kafka.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Client round trips against the per-JVM shared broker. Topic names are unique to this class. */
class SharedBrokerTest {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @Test
    void bootstrapServersHasAConcretePortAndTheKindFollowsDocker() {
        assertThat(KAFKA.bootstrapServers()).matches("[^:,\\s]+:[1-9][0-9]*");
        assertThat(KAFKA.isEmbedded()).isEqualTo(!DockerProbe.useContainer());
        if (KAFKA.isEmbedded()) {
            assertThat(KAFKA.bootstrapServers()).startsWith("127.0.0.1:");
            assertThat(KAFKA.embedded().bootstrapServers()).isEqualTo(KAFKA.bootstrapServers());
        }
    }

    @Test
    void producedRecordsAreConsumedInOrder() throws Exception {
        KAFKA.createTopic("shared.roundtrip", 1);
        try (KafkaProducer<String, String> producer = producer(Map.of())) {
            for (int i = 0; i < 20; i++) {
                producer.send(new ProducerRecord<>("shared.roundtrip", "k" + i, "v" + i)).get();
            }
        }
        List<ConsumerRecord<String, String>> got = readAll("shared.roundtrip", 20, IsolationLevel.READ_UNCOMMITTED);
        assertThat(got).extracting(ConsumerRecord::value)
                .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 20).mapToObj(i -> "v" + i).toList());
        assertThat(got).extracting(ConsumerRecord::key).startsWith("k0", "k1");
    }

    @Test
    void independentConsumerGroupReadsWhatAnIdempotentProducerWrote() throws Exception {
        KAFKA.createTopic("shared.independent", 3);
        try (KafkaProducer<String, String> producer = producer(Map.of(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true"))) {
            for (int i = 0; i < 30; i++) {
                producer.send(new ProducerRecord<>("shared.independent", i % 3, "k" + i, "v" + i)).get();
            }
        }
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "shared.independent.group");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer");
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of("shared.independent"));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (values.size() < 30 && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
            }
            consumer.commitSync();
            assertThat(consumer.committed(Set.of(new org.apache.kafka.common.TopicPartition("shared.independent", 0))))
                    .hasEntrySatisfying(new org.apache.kafka.common.TopicPartition("shared.independent", 0),
                            m -> assertThat(m.offset()).isEqualTo(10));
        }
        assertThat(values).hasSize(30).doesNotHaveDuplicates();
    }

    @Test
    void createTopicIsIdempotentAndKeepsConfigs() throws Exception {
        KAFKA.createTopic("shared.idempotent", 2, Map.of("cleanup.policy", "compact"));
        KAFKA.createTopic("shared.idempotent", 2, Map.of("cleanup.policy", "compact"));
        KAFKA.createTopic("shared.idempotent", 2);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()))) {
            TopicDescription d = admin.describeTopics(Set.of("shared.idempotent")).allTopicNames().get().get("shared.idempotent");
            assertThat(d.partitions()).hasSize(2).allSatisfy(p -> {
                assertThat(p.leader().id()).isEqualTo(1);
                assertThat(p.replicas()).hasSize(1);
            });
            ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, "shared.idempotent");
            assertThat(admin.describeConfigs(Set.of(res)).all().get().get(res).get("cleanup.policy").value())
                    .isEqualTo("compact");
        }
    }

    @Test
    void createTopicRejectsDifferentPartitionCountOfExistingTopic() {
        KAFKA.createTopic("shared.mismatch", 2);
        assertThatThrownBy(() -> KAFKA.createTopic("shared.mismatch", 3))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("shared.mismatch").hasMessageContaining("2 partitions");
    }

    @Test
    void createTopicRejectsBadArguments() {
        assertThatThrownBy(() -> KAFKA.createTopic("shared.bad", 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("partitions").hasMessageContaining("0");
        assertThatThrownBy(() -> KAFKA.createTopic(" ", 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("topic name");
    }

    @Test
    void committedTransactionIsVisibleToReadCommittedAndAbortedOneIsNot() throws Exception {
        KAFKA.createTopic("shared.tx", 1);
        try (KafkaProducer<String, String> producer = producer(Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "shared-tx-1"))) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("shared.tx", "a", "aborted-1"));
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("shared.tx", "c", "committed-1"));
            producer.send(new ProducerRecord<>("shared.tx", "c", "committed-2"));
            producer.commitTransaction();
        }
        assertThat(readAll("shared.tx", 2, IsolationLevel.READ_COMMITTED))
                .extracting(ConsumerRecord::value).containsExactly("committed-1", "committed-2");
    }

    @Test
    void autoTopicCreationIsOff() throws Exception {
        try (KafkaProducer<String, String> producer = producer(Map.of(ProducerConfig.MAX_BLOCK_MS_CONFIG, "1500"))) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("shared.never.created", "x")).get())
                    .hasStackTraceContaining("not present in metadata");
        }
    }

    static KafkaProducer<String, String> producer(Map<String, String> extra) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.putAll(extra);
        return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }

    private static List<ConsumerRecord<String, String>> readAll(String topic, int expected, IsolationLevel isolation) {
        return TopicRecords.readAll(KAFKA.bootstrapServers(), topic, expected, isolation);
    }
}
