package dev.livesae.kafka.test;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Produced;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Kafka Streams with exactly-once v2 (transactions + internal changelog/repartition topics) on one node. */
class StreamsAgainstBrokerTest {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @TempDir
    Path stateDir;

    @Test
    void exactlyOnceCountWithRepartitionAndChangelogTopics() throws Exception {
        KAFKA.createTopic("streams.in", 2);
        KAFKA.createTopic("streams.out", 1);
        StreamsBuilder b = new StreamsBuilder();
        b.stream("streams.in", Consumed.with(Serdes.String(), Serdes.String()))
                .selectKey((k, v) -> v) // forces a repartition topic
                .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
                .count()
                .toStream()
                .mapValues(Object::toString)
                .to("streams.out", Produced.with(Serdes.String(), Serdes.String()));
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "livesae-kafka-local-streams-test");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, "0");
        try (KafkaStreams streams = new KafkaStreams(b.build(), p)) {
            streams.start();
            Properties pp = new Properties();
            pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer())) {
                for (String v : List.of("a", "b", "a", "a", "b")) {
                    producer.send(new ProducerRecord<>("streams.in", null, v)).get();
                }
            }
            Map<String, String> latest = new HashMap<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!Map.of("a", "3", "b", "2").equals(latest) && streams.state().isRunningOrRebalancing()
                    && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : TopicRecords.readAll(KAFKA.bootstrapServers(), "streams.out", 5,
                        IsolationLevel.READ_COMMITTED)) {
                    latest.put(r.key(), r.value());
                }
            }
            assertThat(latest).containsExactlyInAnyOrderEntriesOf(Map.of("a", "3", "b", "2"));
            assertThat(streams.state()).isEqualTo(KafkaStreams.State.RUNNING);
        }
    }
}
