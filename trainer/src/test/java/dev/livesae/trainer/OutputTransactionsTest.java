package dev.livesae.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.livesae.kafka.test.KafkaBrokerExtension;

/** The output high-water mark on the real broker: committed with the outputs, never lowered, fencing. */
class OutputTransactionsTest {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    static TrainerOptions options(String topic) {
        return TrainerOptions.builder(KAFKA.bootstrapServers(), topic).encodeOnly(java.nio.file.Path.of("unused")).build();
    }

    static Map<TopicPartition, OffsetAndMetadata> committed(TrainerClients clients, String topic) {
        try (KafkaConsumer<byte[], byte[]> c = clients.consumer()) {
            return c.committed(Set.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1)), Duration.ofSeconds(30));
        }
    }

    @Test
    void commitsWhileReConsumingNeverLowerTheMarkAndAnAbortedTransactionLeavesItAlone() throws Exception {
        String topic = KafkaSupport.unique("marks");
        String out = KafkaSupport.unique("outputs");
        KAFKA.createTopic(topic, 2);
        KAFKA.createTopic(out, 1);
        TrainerClients clients = new TrainerClients(options(topic), dev.livesae.clients.TopicSettings.brokerDefaults());
        try (KafkaProducer<byte[], byte[]> first = clients.producer()) {
            OutputTransactions tx = new OutputTransactions(first, topic, options(topic).groupId());
            assertThat(tx.init(() -> false)).isTrue();
            tx.resume(Map.of());
            tx.open();
            first.send(new ProducerRecord<>(out, new byte[] {1}));
            tx.commit(Map.of(0, 10L, 1, 4L), false);
            // an open transaction that dies with its producer commits nothing
            tx.open();
            first.send(new ProducerRecord<>(out, new byte[] {2}));
            first.flush();
        }
        assertThat(committed(clients, topic).get(new TopicPartition(topic, 0)).offset()).isEqualTo(10);

        try (KafkaProducer<byte[], byte[]> second = clients.producer()) {
            OutputTransactions tx = new OutputTransactions(second, topic, options(topic).groupId());
            assertThat(tx.init(() -> false)).isTrue();
            tx.resume(committed(clients, topic));
            assertThat(tx.highWater()).isEqualTo(Map.of(0, 10L, 1, 4L));
            assertThat(tx.published(0, 9)).isTrue();
            assertThat(tx.published(0, 10)).isFalse();
            assertThat(tx.published(1, 3)).isTrue();
            // re-consuming from a checkpoint at {0=5, 1=2}: a commit in the middle keeps the mark
            tx.commit(Map.of(0, 7L, 1, 6L), false);
        }
        Map<TopicPartition, OffsetAndMetadata> after = committed(clients, topic);
        assertThat(after.get(new TopicPartition(topic, 0)).offset()).isEqualTo(10);
        assertThat(after.get(new TopicPartition(topic, 1)).offset()).isEqualTo(6);
        List<?> visible = KafkaSupport.readCommitted(KAFKA.bootstrapServers(), out);
        assertThat(visible).hasSize(1); // the second record's transaction was aborted by the next producer's init
    }
}
