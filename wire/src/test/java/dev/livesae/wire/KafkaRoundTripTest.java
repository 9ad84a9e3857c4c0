package dev.livesae.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import dev.livesae.kafka.test.KafkaBrokerExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The contract through a real broker: serdes configured by class name, and the dead-letter path. */
class KafkaRoundTripTest {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    private BufferAllocator allocator;

    @BeforeEach
    void openAllocator() {
        allocator = new RootAllocator();
    }

    @AfterEach
    void closeAllocator() {
        allocator.close();
    }

    @Test
    void publishesAndConsumesActivationBatchThroughTheBroker() {
        ActivationBatch batch = Batches.activations(64, 32, 5);
        String topic = Topics.activations(batch.meta().model(), batch.meta().hookpoint()) + "-" + UUID.randomUUID();
        KAFKA.createTopic(topic, 1);

        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ActivationBatchSerializer.class.getName());
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, ActivationBatch> producer = new KafkaProducer<>(p)) {
            producer.send(new ProducerRecord<>(topic, "producer-1", batch)).get();
        } catch (Exception e) {
            throw new AssertionError(e);
        }

        Properties c = consumerProps();
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ActivationBatchDeserializer.class.getName());
        c.put(DeserializerConfig.EXPECTED_D_IN, "32");
        try (KafkaConsumer<String, ActivationBatch> consumer = new KafkaConsumer<>(c)) {
            consumer.subscribe(List.of(topic));
            List<ConsumerRecord<String, ActivationBatch>> got = pollUntil(consumer, 1);
            ActivationBatch decoded = got.get(0).value();
            assertThat(got.get(0).key()).isEqualTo("producer-1");
            assertThat(decoded.meta()).isEqualTo(batch.meta());
            assertThat(decoded.activations()).containsExactly(batch.activations());
            assertThat(decoded.tokenIds()).containsExactly(batch.tokenIds());
        }
    }

    @Test
    void deadLetterCarriesReasonSourceAndUnchangedBytes() {
        String source = "activations.m.h-" + UUID.randomUUID();
        String dlq = Topics.deadLetter(source);
        KAFKA.createTopic(dlq, 1);
        byte[] garbage = {1, 2, 3, 4, 5};
        WireFormatException rejected;
        try (ActivationBatchCodec codec = new ActivationBatchCodec(allocator)) {
            rejected = catchWire(() -> codec.decode(garbage));
        }
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            DeadLetterPublisher dead = new DeadLetterPublisher(producer, registry, "trainer");
            dead.publish(source, 2, 41L, "k".getBytes(), garbage, rejected).get();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        assertThat(registry.get("livesae.records.rejected").tag("reason", "UNDECODABLE").tag("component", "trainer")
                .counter().count()).isEqualTo(1.0);

        Properties c = consumerProps();
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c)) {
            consumer.subscribe(List.of(dlq));
            ConsumerRecord<byte[], byte[]> letter = pollUntil(consumer, 1).get(0);
            assertThat(letter.value()).containsExactly(garbage);
            assertThat(letter.key()).containsExactly("k".getBytes());
            assertThat(DeadLetters.header(letter.headers(), DeadLetters.REASON)).isEqualTo("UNDECODABLE");
            assertThat(DeadLetters.header(letter.headers(), DeadLetters.DETAIL)).contains("5 bytes");
            assertThat(DeadLetters.header(letter.headers(), DeadLetters.SOURCE_TOPIC)).isEqualTo(source);
            assertThat(DeadLetters.header(letter.headers(), DeadLetters.SOURCE_PARTITION)).isEqualTo("2");
            assertThat(DeadLetters.header(letter.headers(), DeadLetters.SOURCE_OFFSET)).isEqualTo("41");
            assertThat(DeadLetters.header(letter.headers(), DeadLetters.COMPONENT)).isEqualTo("trainer");
        }
    }

    @Test
    void deserializerConfigRejectsBadValueNamingTheKey() {
        try (ActivationBatchDeserializer d = new ActivationBatchDeserializer(allocator, DecodeLimits.defaults())) {
            assertThatThrownBy(() -> d.configure(Map.of(DeserializerConfig.MAX_ROWS, "lots"), false))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(DeserializerConfig.MAX_ROWS);
            d.configure(Map.of(DeserializerConfig.ALLOW_EMPTY, "false"), false);
            byte[] empty;
            try (ActivationBatchCodec codec = new ActivationBatchCodec(allocator)) {
                empty = codec.encode(Batches.activations(0, 4, 1));
            }
            assertThat(catchWire(() -> d.deserialize("t", empty)).reason()).isEqualTo(RejectReason.EMPTY_BATCH);
        }
    }

    private static WireFormatException catchWire(Runnable r) {
        try {
            r.run();
        } catch (WireFormatException e) {
            return e;
        }
        throw new AssertionError("expected a WireFormatException");
    }

    private static Properties consumerProps() {
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "wire-test-" + UUID.randomUUID());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return c;
    }

    private static <K, V> List<ConsumerRecord<K, V>> pollUntil(KafkaConsumer<K, V> consumer, int n) {
        List<ConsumerRecord<K, V>> out = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (out.size() < n && System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(200)).forEach(out::add);
        }
        assertThat(out).as("records received within 30 s").hasSizeGreaterThanOrEqualTo(n);
        return out;
    }
}
