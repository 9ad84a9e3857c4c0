package dev.livesae.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import dev.livesae.kafka.test.KafkaBrokerExtension;
import dev.livesae.clients.TopicAdmin;
import dev.livesae.monitor.MonitorOptions;
import dev.livesae.monitor.MonitorService;
import dev.livesae.producer.ActivationPublisher;
import dev.livesae.producer.PublisherOptions;
import dev.livesae.producer.PublisherStats;
import dev.livesae.sources.RowChunk;
import dev.livesae.sources.SyntheticActivations;
import dev.livesae.sources.SyntheticConfig;
import dev.livesae.trainer.TrainerOptions;
import dev.livesae.trainer.TrainerService;
import dev.livesae.wire.ActivationBatch;
import dev.livesae.wire.ActivationBatchCodec;
import dev.livesae.wire.ActivationMeta;
import dev.livesae.wire.DeadLetters;
import dev.livesae.wire.Topics;
import dev.livesae.wire.WireAllocator;
import io.micrometer.core.instrument.Counter;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * System-level faults with every part real: the broker stopped and restarted mid-stream, and a burst of bad
 * records. (The trainer killed and restarted is proved in the trainer module with a child JVM destroyed
 * at several points: TrainerCrashRecoveryTest.)
 */
class FaultToleranceTest {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension(KafkaBrokerExtension.Mode.PER_CLASS);

    private static final int D = 32;
    private static final int ROWS_PER_CHUNK = 100;

    private record Pipeline(String activations, String codes, TrainerService trainer, MonitorService monitor) implements AutoCloseable {
        @Override
        public void close() {
            trainer.close();
            monitor.close();
        }
    }

    private static Pipeline startPipeline(Path dir, String name) throws InterruptedException {
        String model = "fault-" + name;
        String activations = Topics.activations(model, "hook_synthetic");
        String codes = Topics.codes(model, "hook_synthetic");
        TopicAdmin.createTopics(KAFKA.clientConfig(), List.of(activations, codes, Topics.deadLetter(activations)), 1);
        MonitorService monitor = MonitorService.start(MonitorOptions.forTopics(KAFKA.bootstrapServers(), List.of(codes))
                .withWindowTokens(500).withApplicationId("fault-monitor-" + name).withMetrics("127.0.0.1", 0));
        assertThat(monitor.awaitRunning(Duration.ofSeconds(90))).as("monitor running").isTrue();
        TrainerService trainer = new TrainerService(TrainerOptions.builder(KAFKA.bootstrapServers(), activations)
                .model(model).hookpoint("hook_synthetic").checkpointDir(dir.resolve("ckpt"))
                .dSae(128).k(4).batch(100).shuffleBuffer(200).promoteEvery(0).metricsPort(-1)
                .checkpointEvery(Duration.ofSeconds(2)).progressEvery(Duration.ofMillis(200)).build());
        trainer.start();
        return new Pipeline(activations, codes, trainer, monitor);
    }

    private static ActivationPublisher publisher(String model) {
        return new ActivationPublisher(PublisherOptions.defaults(KAFKA.bootstrapServers(), model).withTopics(false, 1)
                .withBatching(ROWS_PER_CHUNK, 900_000, Duration.ofMillis(5)));
    }

    private static long publishChunks(ActivationPublisher publisher, SyntheticActivations source, int chunks) {
        long rows = 0;
        for (int i = 0; i < chunks; i++) {
            RowChunk c = source.next(ROWS_PER_CHUNK);
            long[] seq = new long[c.rows()];
            long first = publisher.sequenceIds().next(c.rows());
            for (int r = 0; r < seq.length; r++) {
                seq[r] = first + r;
            }
            assertThat(publisher.publish("hook_synthetic", seq, new int[c.rows()], null, c.activations())).isTrue();
            rows += c.rows();
        }
        return rows;
    }

    @Test
    void brokerRestartMidStreamLosesNothingAndTrainerAndMonitorResume(@TempDir Path dir) throws Exception {
        SyntheticActivations source = new SyntheticActivations(new SyntheticConfig(64, D, 1.0, 4, 1.0, 0.01, 7), 1_000_000);
        try (Pipeline p = startPipeline(dir, "restart"); ActivationPublisher publisher = publisher("fault-restart")) {
            long sent = publishChunks(publisher, source, 20);
            assertThat(publisher.flush(Duration.ofSeconds(60))).isTrue();
            long before = sent;
            Await.until(Duration.ofSeconds(120), "trainer consumed the first part", () -> p.trainer().progress().tokensConsumed() >= before);

            KAFKA.stopBroker();
            sent += publishChunks(publisher, source, 10); // accepted into the publisher's buffer while the broker is down
            Thread.sleep(2000); // the outage itself: clients retry against a dead broker for two seconds
            KAFKA.startBroker();
            sent += publishChunks(publisher, source, 10);
            assertThat(publisher.flush(Duration.ofSeconds(120))).as("everything acknowledged after the restart").isTrue();

            PublisherStats stats = publisher.stats();
            assertThat(stats.droppedRows()).isZero();
            assertThat(stats.failedBatches()).isZero();
            assertThat(stats.ackedRows()).isEqualTo(sent);
            assertThat(countRows(p.activations())).as("rows in the topic: none lost, none duplicated").isEqualTo(sent);

            long total = sent;
            Await.until(Duration.ofSeconds(120), "trainer consumed everything", () -> p.trainer().progress().tokensConsumed() >= total);
            assertThat(p.trainer().progress().tokensConsumed()).isEqualTo(total);
            assertThat(p.trainer().progress().rejectedRecords()).isZero();
            Await.until(Duration.ofSeconds(120), "monitor saw every code row", () -> monitoredTokens(p.monitor()) >= total);
            assertThat(monitoredTokens(p.monitor())).isEqualTo(total);
        }
    }

    @Test
    void burstOfBadRecordsGoesToTheDeadLetterTopicAndGoodRecordsAreAllTrained(@TempDir Path dir) throws Exception {
        SyntheticActivations source = new SyntheticActivations(new SyntheticConfig(64, D, 1.0, 4, 1.0, 0.01, 11), 1_000_000);
        try (Pipeline p = startPipeline(dir, "burst");
             ActivationBatchCodec codec = new ActivationBatchCodec(WireAllocator.root());
             KafkaProducer<byte[], byte[]> raw = rawProducer()) {
            ActivationMeta meta = new ActivationMeta("fault-burst", "hook_synthetic", D);
            Map<String, Integer> expected = new HashMap<>();
            long good = 0;
            for (int i = 0; i < 60; i++) {
                RowChunk c = source.next(ROWS_PER_CHUNK);
                byte[] value;
                switch (i % 6) {
                    case 1 -> {
                        value = new byte[] {(byte) i, 1, 2, 3};
                        expected.merge("UNDECODABLE", 1, Integer::sum);
                    }
                    case 3 -> {
                        float[] x = c.activations().clone();
                        x[5] = Float.NaN;
                        value = codec.encode(new ActivationBatch(meta, seq(i, c.rows()), new int[c.rows()], null, x));
                        expected.merge("NON_FINITE", 1, Integer::sum);
                    }
                    case 5 -> {
                        value = codec.encode(new ActivationBatch(new ActivationMeta("fault-burst", "hook_synthetic", D / 2),
                                seq(i, c.rows() * 2), new int[c.rows() * 2], null, c.activations()));
                        expected.merge("WRONG_WIDTH", 1, Integer::sum);
                    }
                    default -> {
                        value = codec.encode(new ActivationBatch(meta, seq(i, c.rows()), new int[c.rows()], null, c.activations()));
                        good += c.rows();
                    }
                }
                raw.send(new ProducerRecord<>(p.activations(), value)).get();
            }
            long goodRows = good;
            Await.until(Duration.ofSeconds(120), "trainer consumed every good row", () -> p.trainer().progress().tokensConsumed() >= goodRows);
            Await.until(Duration.ofSeconds(120), "trainer rejected every bad record", () -> p.trainer().progress().rejectedRecords() >= 30);
            assertThat(p.trainer().progress().tokensConsumed()).isEqualTo(good);

            List<ConsumerRecord<byte[], byte[]>> letters = readAll(Topics.deadLetter(p.activations()), 30);
            Map<String, Integer> reasons = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> letter : letters) {
                reasons.merge(DeadLetters.header(letter.headers(), DeadLetters.REASON), 1, Integer::sum);
                assertThat(DeadLetters.header(letter.headers(), DeadLetters.SOURCE_TOPIC)).isEqualTo(p.activations());
                assertThat(DeadLetters.header(letter.headers(), DeadLetters.SOURCE_OFFSET)).matches("\\d+");
            }
            assertThat(reasons).isEqualTo(expected);
            for (Map.Entry<String, Integer> e : expected.entrySet()) {
                double counted = p.trainer().registry().find("livesae.records.rejected").tag("reason", e.getKey())
                        .counters().stream().mapToDouble(Counter::count).sum();
                assertThat(counted).as("rejected counter for " + e.getKey()).isEqualTo(e.getValue().doubleValue());
            }
            Await.until(Duration.ofSeconds(120), "monitor saw the good rows' codes", () -> monitoredTokens(p.monitor()) >= goodRows);
        }
    }

    private static long[] seq(int batch, int rows) {
        long[] s = new long[rows];
        for (int r = 0; r < rows; r++) {
            s[r] = (long) batch << 20 | r;
        }
        return s;
    }

    private static KafkaProducer<byte[], byte[]> rawProducer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return new KafkaProducer<>(p);
    }

    private static long countRows(String topic) {
        long rows = 0;
        try (ActivationBatchCodec codec = new ActivationBatchCodec(WireAllocator.root())) {
            for (ConsumerRecord<byte[], byte[]> r : readAll(topic, -1)) {
                rows += codec.decode(r.value()).rows();
            }
        }
        return rows;
    }

    /** Reads a topic from the start until {@code atLeast} records arrived, or until it is quiet for 3 s (atLeast < 0). */
    private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int atLeast) {
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "fault-reader-" + UUID.randomUUID());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            long quietSince = System.nanoTime();
            while (System.nanoTime() < deadline) {
                int before = out.size();
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
                if (out.size() > before) {
                    quietSince = System.nanoTime();
                }
                if (atLeast >= 0 ? out.size() >= atLeast : System.nanoTime() - quietSince > 3_000_000_000L && !out.isEmpty()) {
                    break;
                }
            }
        }
        return out;
    }

    private static long monitoredTokens(MonitorService monitor) {
        return (long) monitor.registry().find("livesae.monitor.tokens").counters().stream().mapToDouble(Counter::count).sum();
    }

}
