package dev.livesae.kafka.test;

import dev.livesae.kafka.local.BrokerOptions;
import dev.livesae.kafka.local.EmbeddedKafkaBroker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** Fault test on a broker of its own: stop and restart keep data, committed offsets and the address. */
class BrokerRestartTest {


    @Test
    void stopAndRestartKeepCommittedDataOffsetsAndAddress() throws Exception {
        // the embedded broker itself, whatever broker kind the other tests get
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerOptions.defaults())) {
            stopAndRestart(broker);
        }
    }

    private static void stopAndRestart(EmbeddedKafkaBroker broker) throws Exception {
        String address = broker.bootstrapServers();
        String topic = "restart.data";
        TopicPartition tp = new TopicPartition(topic, 0);
        broker.createTopic(topic, 1);
        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, address);
        pp.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, "k" + i, "before-" + i)).get();
            }
        }
        try (KafkaConsumer<String, String> consumer = groupConsumer(address)) {
            consumer.commitSync(Map.of(tp, new OffsetAndMetadata(4)));
        }

        broker.stop();
        assertThat(broker.isRunning()).isFalse();
        assertThat(Files.exists(broker.dataDir().resolve(EmbeddedKafkaBroker.LOG_DIR_NAME).resolve("meta.properties"))).isTrue();
        assertThatThrownBy(() -> broker.createTopic("restart.while.stopped", 1))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("not running");

        broker.restart();
        assertThat(broker.isRunning()).isTrue();
        assertThat(broker.bootstrapServers()).isEqualTo(address);
        assertThat(broker.bootstrapServers()).isEqualTo(address);

        List<ConsumerRecord<String, String>> all = TopicRecords.readAll(address, topic, 10, IsolationLevel.READ_UNCOMMITTED);
        assertThat(all).extracting(ConsumerRecord::value)
                .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 10).mapToObj(i -> "before-" + i).toList());
        try (KafkaConsumer<String, String> consumer = groupConsumer(address)) {
            assertThat(consumer.committed(Set.of(tp)).get(tp).offset()).isEqualTo(4);
        }
        broker.createTopic(topic, 1); // still idempotent after restart
    }

    private static KafkaConsumer<String, String> groupConsumer(String address) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, address);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "restart.group");
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(Duration.ofSeconds(60).toMillis()));
        return new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
    }
}
