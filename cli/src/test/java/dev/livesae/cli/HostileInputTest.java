package dev.livesae.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Future;

import dev.livesae.engine.synthetic.SyntheticFeatures;
import dev.livesae.kafka.test.KafkaBrokerExtension;
import dev.livesae.monitor.MonitorOptions;
import dev.livesae.monitor.MonitorService;
import dev.livesae.trainer.TrainerOptions;
import dev.livesae.trainer.TrainerProgress;
import dev.livesae.trainer.TrainerService;
import dev.livesae.wire.ActivationBatch;
import dev.livesae.wire.ActivationBatchCodec;
import dev.livesae.wire.ActivationMeta;
import dev.livesae.wire.CodeBatch;
import dev.livesae.wire.CodeBatchCodec;
import dev.livesae.wire.CodeMeta;
import dev.livesae.wire.DeadLetters;
import dev.livesae.wire.RejectReason;
import dev.livesae.wire.Topics;
import dev.livesae.wire.WireAllocator;
import dev.livesae.wire.WireSchema;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bad-input test of issue 11: the real trainer and monitor, in this JVM, on the embedded broker, receive every
 * kind of hostile record (garbage, empty, truncated, wrong schema, wrong width, NaN/Inf, zero rows, a batch claiming
 * 2^31-1 rows, a code batch claiming d_sae = 2^31-1 or d_in = 2^31-1, compressed bodies that expand past the cap, an LZ4
 * frame longer than it declares, a record over the byte cap, 10,000 distinct sae_ids). Both keep running and keep training/counting the valid records sent after, each hostile record is in its
 * dead-letter topic with its reason, and the heap after GC ends within a few MB of where it started.
 */
class HostileInputTest {
    private static final Logger LOG = LoggerFactory.getLogger(HostileInputTest.class);

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    static final String MODEL = "synthetic";
    static final int D = 64;
    static final int ROWS = 64;
    static final int DISTINCT_SAES = 10_000;
    static final Duration PATIENCE = Duration.ofMinutes(4);

    private BufferAllocator allocator;
    private ActivationBatchCodec activations;
    private CodeBatchCodec codes;

    @BeforeEach
    void open() {
        allocator = WireAllocator.root().newChildAllocator("hostile-input-test", 0, Long.MAX_VALUE);
        activations = new ActivationBatchCodec(allocator);
        codes = new CodeBatchCodec(allocator);
    }

    @AfterEach
    void close() {
        activations.close();
        codes.close();
        allocator.close();
    }

    @Test
    void everyServiceStaysUpWithFlatHeapAndDeadLettersEachHostileRecordWithItsReason(@TempDir Path dir) throws Exception {
        String hook = "hostile-" + UUID.randomUUID().toString().substring(0, 8);
        String activationTopic = Topics.activations(MODEL, hook);
        String codeTopic = Topics.codes(MODEL, hook);
        KAFKA.createTopic(activationTopic, 1);
        KAFKA.createTopic(codeTopic, 1, Map.of("max.message.bytes", Integer.toString(16 << 20)));
        SyntheticFeatures gen = new SyntheticFeatures(D, 128, 0.5, 4.0 / 128, 0.01f, 5L);
        ActivationMeta meta = new ActivationMeta(MODEL, hook, D);
        long[] sequence = {0};

        PrometheusMeterRegistry trainerRegistry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TrainerService trainer = new TrainerService(TrainerOptions.builder(KAFKA.bootstrapServers(), activationTopic)
                .checkpointDir(dir.resolve("ckpt")).hookpoint(hook).dSae(256).k(8).batch(ROWS).shuffleBuffer(0)
                .lr(2e-3f).warmupSteps(5).progressEvery(Duration.ofMillis(200)).build(), trainerRegistry);
        // the monitor's record cap at 4 MiB (the rest at defaults) so a record over it can travel through Kafka
        MonitorService monitor = MonitorService.start(MonitorOptions.forTopics(KAFKA.bootstrapServers(), List.of(codeTopic))
                .withWindowTokens(256).withApplicationId("hostile-" + hook).withMetrics("127.0.0.1", 0)
                .withDecodeLimits(MonitorOptions.DEFAULT_DECODE_LIMITS.withMaxRecordBytes(4 << 20)));
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            // 1. warm up: both services initialised on valid data
            for (int i = 0; i < 4; i++) {
                send(producer, activationTopic, null, activations.encode(valid(gen, meta, sequence)));
            }
            trainer.start();
            assertThat(monitor.awaitRunning(Duration.ofMinutes(1))).isTrue();
            Await.until(PATIENCE, "trainer consumed the warm-up", () -> trainer.progress().tokensConsumed() >= 4 * ROWS);
            Await.until(PATIENCE, "monitor counted the warm-up codes", () -> monitorTokens(monitor) >= 4 * ROWS);
            long heapBefore = usedHeapAfterGc();

            // 2. hostile records for the trainer
            Map<Long, RejectReason> toTrainer = new LinkedHashMap<>();
            byte[] good = activations.encode(valid(gen, meta, sequence));
            ActivationBatch nan = valid(gen, meta, sequence);
            nan.activations()[3 * D + 1] = Float.NaN;
            ActivationBatch inf = valid(gen, meta, sequence);
            inf.activations()[5] = Float.POSITIVE_INFINITY;
            ActivationMeta narrow = new ActivationMeta(MODEL, hook, 32);
            int bombRows = 65_536;
            int bombDIn = 1_280; // 335 MB of float32 once expanded: over the 256 MiB cap
            expect(toTrainer, send(producer, activationTopic, null, "garbage, not arrow at all".getBytes(StandardCharsets.UTF_8)),
                    RejectReason.UNDECODABLE);
            expect(toTrainer, send(producer, activationTopic, null, new byte[0]), RejectReason.UNDECODABLE);
            expect(toTrainer, send(producer, activationTopic, null, Arrays.copyOf(good, good.length / 2)), RejectReason.UNDECODABLE);
            expect(toTrainer, send(producer, activationTopic, null, codes.encode(codeBatch("wrong-schema", hook, 16, 2, 1))),
                    RejectReason.WRONG_SCHEMA);
            expect(toTrainer, send(producer, activationTopic, null, activations.encode(new ActivationBatch(narrow,
                    new long[] {1}, new int[] {0}, null, new float[32]))), RejectReason.WRONG_WIDTH);
            expect(toTrainer, send(producer, activationTopic, null, activations.encode(nan)), RejectReason.NON_FINITE);
            expect(toTrainer, send(producer, activationTopic, null, activations.encode(inf)), RejectReason.NON_FINITE);
            expect(toTrainer, send(producer, activationTopic, null, activations.encode(new ActivationBatch(meta, new long[0],
                    new int[0], null, new float[0]))), RejectReason.EMPTY_BATCH);
            expect(toTrainer, send(producer, activationTopic, null, HostileRecords.claimingRows(allocator,
                    WireSchema.activation(meta), Integer.MAX_VALUE)), RejectReason.OVERSIZED);
            expect(toTrainer, send(producer, activationTopic, null, HostileRecords.zstdExpanding(allocator,
                    WireSchema.activation(new ActivationMeta(MODEL, hook, bombDIn)), bombRows)), RejectReason.DECODED_TOO_LARGE);
            expect(toTrainer, send(producer, activationTopic, null, HostileRecords.lz4PastDeclaredLength(allocator,
                    WireSchema.activation(meta), ROWS, 128L << 20)), RejectReason.DECODED_TOO_LARGE);
            expect(toTrainer, send(producer, activationTopic, null, HostileRecords.withMetadata(allocator, good,
                    WireSchema.KEY_D_IN, Integer.toString(Integer.MAX_VALUE))), RejectReason.DIMENSION_TOO_LARGE);

            // 3. hostile records for the monitor, on the code topic
            Map<Long, RejectReason> toMonitor = new LinkedHashMap<>();
            byte[] goodCodes = codes.encode(codeBatch("sae-shape", hook, 16, 2, 4));
            CodeBatch nanCodes = codeBatch("sae-nan", hook, 16, 2, 4);
            nanCodes.latentValues()[3] = Float.NaN;
            CodeMeta codeMeta = new CodeMeta("sae-bomb", 0, MODEL, hook, D, 4_096, 1_024);
            expect(toMonitor, send(producer, codeTopic, null, "garbage".getBytes(StandardCharsets.UTF_8)), RejectReason.UNDECODABLE);
            expect(toMonitor, send(producer, codeTopic, null, new byte[0]), RejectReason.UNDECODABLE);
            byte[] fiveMiB = new byte[5 << 20];
            Arrays.fill(fiveMiB, (byte) 0x5A);
            expect(toMonitor, send(producer, codeTopic, null, fiveMiB), RejectReason.RECORD_TOO_LARGE);
            expect(toMonitor, send(producer, codeTopic, null, Arrays.copyOf(goodCodes, goodCodes.length - 40)), RejectReason.UNDECODABLE);
            expect(toMonitor, send(producer, codeTopic, null, good), RejectReason.WRONG_SCHEMA);
            expect(toMonitor, send(producer, codeTopic, null, HostileRecords.withMetadata(allocator, goodCodes,
                    WireSchema.KEY_K, "4")), RejectReason.WRONG_WIDTH);
            expect(toMonitor, send(producer, codeTopic, null, codes.encode(nanCodes)), RejectReason.NON_FINITE);
            expect(toMonitor, send(producer, codeTopic, null, codes.encode(codeBatch("sae-empty", hook, 16, 2, 0))),
                    RejectReason.EMPTY_BATCH);
            expect(toMonitor, send(producer, codeTopic, null, HostileRecords.claimingRows(allocator,
                    WireSchema.code(codeMeta), Integer.MAX_VALUE)), RejectReason.OVERSIZED);
            expect(toMonitor, send(producer, codeTopic, null, HostileRecords.withMetadata(allocator, goodCodes,
                    WireSchema.KEY_D_SAE, Integer.toString(Integer.MAX_VALUE))), RejectReason.DIMENSION_TOO_LARGE);
            expect(toMonitor, send(producer, codeTopic, null, HostileRecords.zstdExpanding(allocator,
                    WireSchema.code(codeMeta), 65_536)), RejectReason.DECODED_TOO_LARGE);
            int admittedBefore = 1; // the trainer's SAE
            int admitted = MonitorOptions.DEFAULT_MAX_SAES - admittedBefore;
            List<Future<RecordMetadata>> flood = new ArrayList<>();
            for (int i = 0; i < DISTINCT_SAES; i++) {
                String sae = "flood-" + i;
                flood.add(producer.send(new ProducerRecord<>(codeTopic, 0, sae.getBytes(StandardCharsets.UTF_8),
                        codes.encode(codeBatch(sae, hook, 16, 2, 1)))));
            }
            for (int i = 0; i < DISTINCT_SAES; i++) {
                long offset = flood.get(i).get().offset();
                if (i >= admitted) {
                    toMonitor.put(offset, RejectReason.TOO_MANY_SAES);
                }
            }

            // 4. valid records after all that: the trainer trains them
            for (int i = 0; i < 4; i++) {
                send(producer, activationTopic, null, activations.encode(valid(gen, meta, sequence)));
            }
            long trainerTokens = 4L * ROWS + 4L * ROWS;
            Await.until(PATIENCE, "trainer consumed the valid records after the hostile ones",
                    () -> trainer.progress().tokensConsumed() >= trainerTokens);
            Map<Long, String> trainerLetters = deadLetters(Topics.deadLetter(activationTopic), toTrainer.size());
            Map<Long, String> monitorLetters = deadLetters(Topics.deadLetter(codeTopic), toMonitor.size());
            long heapAfter = usedHeapAfterGc();

            assertThat(trainer.finished()).as("the trainer is still running").isNotDone();
            assertThat(monitor.state()).isEqualTo(KafkaStreams.State.RUNNING);
            assertThat(trainer.progress().rejectedRecords()).isEqualTo(toTrainer.size());
            for (Map.Entry<Long, RejectReason> e : toTrainer.entrySet()) {
                assertThat(trainerLetters.get(e.getKey())).as("trainer dead letter of offset " + e.getKey())
                        .isEqualTo(e.getValue().name());
            }
            assertThat(trainerLetters).hasSize(toTrainer.size());
            for (Map.Entry<Long, RejectReason> e : toMonitor.entrySet()) {
                assertThat(monitorLetters.get(e.getKey())).as("monitor dead letter of offset " + e.getKey())
                        .isEqualTo(e.getValue().name());
            }
            assertThat(monitorLetters).hasSize(toMonitor.size());
            assertThat(monitor.registry().get("livesae.monitor.tokens").counters()).as("series per SAE")
                    .hasSize(MonitorOptions.DEFAULT_MAX_SAES);
            assertThat(monitor.registry().get("livesae.records.rejected").tags("reason", "TOO_MANY_SAES")
                    .counter().count()).isEqualTo(DISTINCT_SAES - admitted);
            long growth = heapAfter - heapBefore;
            LOG.info("heap used after GC: before {} MB, after {} MB, growth {} MB; dead letters: trainer {}, monitor {}",
                    heapBefore >> 20, heapAfter >> 20, growth >> 20, trainerLetters.size(), monitorLetters.size());
            assertThat(growth).as("heap growth after GC, bytes").isLessThan(64L << 20);
        } finally {
            trainer.stop();
            TrainerProgress last = trainer.finished().get();
            LOG.info("trainer ended: {} tokens trained, {} rejected", last.tokensTrained(), last.rejectedRecords());
            monitor.close();
            trainerRegistry.close();
        }
    }

    private static void expect(Map<Long, RejectReason> expected, long offset, RejectReason reason) {
        expected.put(offset, reason);
    }

    private static ActivationBatch valid(SyntheticFeatures gen, ActivationMeta meta, long[] sequence) {
        long seq = sequence[0]++;
        long[] seqs = new long[ROWS];
        Arrays.fill(seqs, seq);
        int[] pos = new int[ROWS];
        for (int r = 0; r < ROWS; r++) {
            pos[r] = r;
        }
        return new ActivationBatch(meta, seqs, pos, null, gen.next(ROWS));
    }

    private static CodeBatch codeBatch(String sae, String hook, int dSae, int k, int rows) {
        long[] seq = new long[rows];
        int[] pos = new int[rows];
        int[] idx = new int[rows * k];
        float[] val = new float[rows * k];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i % dSae;
            val[i] = 1f;
        }
        float[] err = new float[rows];
        float[] norm = new float[rows];
        Arrays.fill(norm, 1f);
        return new CodeBatch(new CodeMeta(sae, 0, MODEL, hook, D, dSae, k), seq, pos, null, idx, val, err, norm);
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 << 20);
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Sends to partition 0 and returns the record's offset. */
    private static long send(KafkaProducer<byte[], byte[]> producer, String topic, String key, byte[] value) throws Exception {
        byte[] k = key == null ? null : key.getBytes(StandardCharsets.UTF_8);
        return producer.send(new ProducerRecord<>(topic, 0, k, value)).get().offset();
    }

    private static double monitorTokens(MonitorService monitor) {
        return monitor.registry().find("livesae.monitor.tokens").counters().stream().mapToDouble(c -> c.count()).sum();
    }

    /** Reason of each dead letter by source offset, once {@code expected} are there. */
    private static Map<Long, String> deadLetters(String topic, int expected) throws InterruptedException {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 << 20);
        Map<Long, String> out = new HashMap<>();
        List<String> duplicates = new ArrayList<>();
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            while (out.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    long offset = Long.parseLong(DeadLetters.header(r.headers(), DeadLetters.SOURCE_OFFSET));
                    String previous = out.put(offset, DeadLetters.header(r.headers(), DeadLetters.REASON));
                    if (previous != null) {
                        duplicates.add(topic + "@" + offset);
                    }
                }
            }
        }
        LOG.info("{}: {} dead letters ({} duplicates)", topic, out.size(), duplicates.size());
        return out;
    }

    /** Heap in use after full collections (G1 runs a full GC on System.gc()). */
    private static long usedHeapAfterGc() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
