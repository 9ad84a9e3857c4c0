package dev.livesae.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import dev.livesae.kafka.test.KafkaBrokerExtension;
import dev.livesae.trainer.checkpoint.TrainerState;
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

/** Bad input never stops training: each kind goes to the dead-letter topic with its reason and source offset. */
class BadInputTest {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    static final int ROWS = 64;

    BufferAllocator alloc;
    ActivationBatchCodec codec;

    @BeforeEach
    void open() {
        alloc = WireAllocator.root().newChildAllocator("bad-input-test", 0, Long.MAX_VALUE);
        codec = new ActivationBatchCodec(alloc);
    }

    @AfterEach
    void close() {
        codec.close();
        alloc.close();
    }

    static TrainerOptions.Builder options(String topic, Path dir) {
        return TrainerOptions.builder(KAFKA.bootstrapServers(), topic).checkpointDir(dir)
                .dSae(Synthetic.N).k(Synthetic.K).batch(ROWS).shuffleBuffer(0).lr(2e-3f).warmupSteps(5)
                .progressEvery(Duration.ofMillis(200));
    }

    @Test
    void everyKindOfBadRecordIsDeadLetteredWithItsReasonAndTrainingContinues(@TempDir Path dir) throws Exception {
        String hook = KafkaSupport.unique("dlq");
        String topic = Topics.activations("synthetic", hook);
        KAFKA.createTopic(topic, 1);
        Synthetic data = new Synthetic("synthetic", hook, 3L);
        ActivationBatch nan = data.next(ROWS);
        nan.activations()[5 * Synthetic.D + 3] = Float.NaN;
        ActivationBatch inf = data.next(ROWS);
        inf.activations()[7] = Float.NEGATIVE_INFINITY;
        ActivationMeta narrow = new ActivationMeta("synthetic", hook, 32);
        ActivationBatch wrongWidth = new ActivationBatch(narrow, new long[] {1}, new int[] {0}, null, new float[32]);
        ActivationBatch empty = new ActivationBatch(data.meta, new long[0], new int[0], null, new float[0]);
        ActivationBatch oversized = data.next(101);
        ActivationBatch otherHook = new Synthetic("synthetic", "another-hook", 4L).next(ROWS);
        byte[] codeBytes;
        try (CodeBatchCodec codes = new CodeBatchCodec(alloc)) {
            codeBytes = codes.encode(new CodeBatch(new CodeMeta("s", 0, "synthetic", hook, 64, 16, 1), new long[] {1},
                    new int[] {0}, null, new int[] {3}, new float[] {1f}, new float[] {0f}, new float[] {1f}));
        }

        Map<Long, RejectReason> expected = new LinkedHashMap<>();
        List<byte[]> values = new ArrayList<>();
        values.add(codec.encode(data.next(ROWS)));                                        // 0 valid
        values.add("definitely not arrow".getBytes(StandardCharsets.UTF_8));              // 1
        expected.put(1L, RejectReason.UNDECODABLE);
        values.add(null);                                                                 // 2 tombstone
        expected.put(2L, RejectReason.UNDECODABLE);
        values.add(codeBytes);                                                            // 3
        expected.put(3L, RejectReason.WRONG_SCHEMA);
        values.add(codec.encode(wrongWidth));                                             // 4
        expected.put(4L, RejectReason.WRONG_WIDTH);
        values.add(codec.encode(nan));                                                    // 5
        expected.put(5L, RejectReason.NON_FINITE);
        values.add(codec.encode(inf));                                                    // 6
        expected.put(6L, RejectReason.NON_FINITE);
        values.add(codec.encode(empty));                                                  // 7
        expected.put(7L, RejectReason.EMPTY_BATCH);
        values.add(codec.encode(oversized));                                              // 8
        expected.put(8L, RejectReason.OVERSIZED);
        values.add(codec.encode(otherHook));                                              // 9
        expected.put(9L, RejectReason.UNEXPECTED_SHAPE);
        values.add(Arrays.copyOf(codec.encode(data.next(ROWS)), 40));                    // 10 truncated
        expected.put(10L, RejectReason.UNDECODABLE);
        values.add(codec.encode(data.next(ROWS)));                                        // 11 valid
        try (KafkaProducer<byte[], byte[]> producer = KafkaSupport.producer(KAFKA.bootstrapServers())) {
            for (byte[] v : values) {
                KafkaSupport.send(producer, topic, 0, v);
            }
        }

        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TrainerService service = new TrainerService(options(topic, dir).hookpoint(hook).maxBatchRows(100)
                .maxTokens(2 * ROWS).build(), registry);
        TrainerProgress last = service.run();

        assertThat(last.tokensTrained()).isEqualTo(2 * ROWS);
        assertThat(last.rejectedRecords()).isEqualTo(expected.size());
        TrainerState state = TrainerState.read(service.lastCheckpoint().orElseThrow());
        assertThat(state.offsets()).containsEntry(0, (long) values.size());
        assertThat(state.rejected()).containsEntry("UNDECODABLE", 3L).containsEntry("NON_FINITE", 2L)
                .containsEntry("WRONG_SCHEMA", 1L).containsEntry("WRONG_WIDTH", 1L).containsEntry("EMPTY_BATCH", 1L)
                .containsEntry("OVERSIZED", 1L).containsEntry("UNEXPECTED_SHAPE", 1L);
        for (RejectReason r : new LinkedHashMap<>(expected).values()) {
            long n = expected.values().stream().filter(r::equals).count();
            assertThat(registry.get("livesae.records.rejected").tag("reason", r.name()).tag("component", "trainer")
                    .counter().count()).as(r.name()).isEqualTo(n);
        }

        List<ConsumerRecord<byte[], byte[]>> dead = KafkaSupport.readAll(KAFKA.bootstrapServers(),
                Topics.deadLetter(topic), expected.size());
        assertThat(dead).hasSize(expected.size());
        for (ConsumerRecord<byte[], byte[]> d : dead) {
            long offset = Long.parseLong(DeadLetters.header(d.headers(), DeadLetters.SOURCE_OFFSET));
            assertThat(DeadLetters.header(d.headers(), DeadLetters.REASON)).as("offset " + offset)
                    .isEqualTo(expected.get(offset).name());
            assertThat(DeadLetters.header(d.headers(), DeadLetters.SOURCE_TOPIC)).isEqualTo(topic);
            assertThat(DeadLetters.header(d.headers(), DeadLetters.SOURCE_PARTITION)).isEqualTo("0");
            assertThat(DeadLetters.header(d.headers(), DeadLetters.COMPONENT)).isEqualTo("trainer");
            assertThat(DeadLetters.header(d.headers(), DeadLetters.DETAIL)).isNotBlank();
            assertThat(d.value()).isEqualTo(values.get((int) offset)); // the record itself, unchanged
        }
    }

    @Test
    void stepWithNonFiniteLossIsSkippedAndCounted(@TempDir Path dir) throws Exception {
        String hook = KafkaSupport.unique("skip");
        String topic = Topics.activations("synthetic", hook);
        KAFKA.createTopic(topic, 1);
        Synthetic data = new Synthetic("synthetic", hook, 3L);
        ActivationBatch huge = data.next(ROWS);
        Arrays.fill(huge.activations(), 3e30f); // finite, so the wire accepts it; its squared error overflows
        try (KafkaProducer<byte[], byte[]> producer = KafkaSupport.producer(KAFKA.bootstrapServers())) {
            KafkaSupport.send(producer, topic, 0, codec.encode(data.next(ROWS)));
            KafkaSupport.send(producer, topic, 0, codec.encode(data.next(ROWS)));
            KafkaSupport.send(producer, topic, 0, codec.encode(huge));
            KafkaSupport.send(producer, topic, 0, codec.encode(data.next(ROWS)));
        }
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TrainerService service = new TrainerService(options(topic, dir).maxTokens(4 * ROWS).build(), registry);
        TrainerProgress last = service.run();
        assertThat(last.skippedSteps()).isEqualTo(1);
        assertThat(last.tokensTrained()).isEqualTo(3 * ROWS);
        assertThat(last.step()).isEqualTo(3);
        assertThat(registry.get("livesae.trainer.steps.skipped").counter().count()).isEqualTo(1);
        assertThat(registry.get("livesae.trainer.tokens").counter().count()).isEqualTo(3 * ROWS);
        TrainerState state = TrainerState.read(service.lastCheckpoint().orElseThrow());
        assertThat(state.skippedStep().count()).isEqualTo(ROWS);
        assertThat(state.trained().plus(state.skippedStep())).isEqualTo(state.consumed());
    }

    @Test
    void batchWithNonFiniteLossIsDeadLetteredOnceWithItsRowsAndReason(@TempDir Path dir) throws Exception {
        String hook = KafkaSupport.unique("lossdlq");
        String topic = Topics.activations("synthetic", hook);
        KAFKA.createTopic(topic, 1);
        Synthetic data = new Synthetic("synthetic", hook, 3L);
        ActivationBatch huge = data.next(ROWS);
        Arrays.fill(huge.activations(), 3e30f); // finite, so the wire accepts it; its squared error overflows
        try (KafkaProducer<byte[], byte[]> producer = KafkaSupport.producer(KAFKA.bootstrapServers())) {
            KafkaSupport.send(producer, topic, 0, codec.encode(data.next(ROWS)));
            KafkaSupport.send(producer, topic, 0, codec.encode(huge));
            KafkaSupport.send(producer, topic, 0, codec.encode(data.next(ROWS)));
        }
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TrainerService service = new TrainerService(options(topic, dir).maxTokens(3 * ROWS).build(), registry);
        TrainerProgress last = service.run();
        assertThat(last.skippedSteps()).isEqualTo(1);

        List<ConsumerRecord<byte[], byte[]>> dead = KafkaSupport.readCommitted(KAFKA.bootstrapServers(), Topics.deadLetter(topic));
        assertThat(dead).hasSize(1);
        ConsumerRecord<byte[], byte[]> d = dead.get(0);
        assertThat(DeadLetters.header(d.headers(), DeadLetters.REASON)).isEqualTo("NON_FINITE_LOSS");
        assertThat(DeadLetters.header(d.headers(), DeadLetters.SOURCE_TOPIC)).isEqualTo(topic);
        assertThat(DeadLetters.header(d.headers(), DeadLetters.SOURCE_PARTITION)).isEqualTo("-1"); // rows of many records
        assertThat(DeadLetters.header(d.headers(), DeadLetters.DETAIL)).contains("loss not finite");
        ActivationBatch letter = codec.decode(d.value());
        assertThat(letter.rows()).isEqualTo(ROWS);
        assertThat(letter.sequenceIds()).isEqualTo(huge.sequenceIds());
        assertThat(letter.positions()).isEqualTo(huge.positions());
        assertThat(letter.activations()).isEqualTo(huge.activations());
        assertThat(registry.get("livesae.records.rejected").tag("reason", "NON_FINITE_LOSS").tag("component", "trainer")
                .counter().count()).isEqualTo(1);
        TrainerState state = TrainerState.read(service.lastCheckpoint().orElseThrow());
        assertThat(state.rejected()).containsEntry("NON_FINITE_LOSS", 1L);
    }

    @Test
    void newTrainerThatRejectsEverythingExportsZeroTokensAndEveryRejectReason(@TempDir Path dir) throws Exception {
        String hook = KafkaSupport.unique("allbad");
        String topic = Topics.activations("synthetic", hook);
        KAFKA.createTopic(topic, 1);
        try (KafkaProducer<byte[], byte[]> producer = KafkaSupport.producer(KAFKA.bootstrapServers())) {
            for (int i = 0; i < 3; i++) {
                KafkaSupport.send(producer, topic, 0, ("garbage " + i).getBytes(StandardCharsets.UTF_8));
            }
        }
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TrainerService service = new TrainerService(options(topic, dir).hookpoint(hook).build(), registry);
        service.start();
        try {
            KafkaSupport.await(Duration.ofSeconds(60), "three rejections", () -> service.progress().rejectedRecords() == 3);
            String scrape = registry.scrape();
            assertThat(scrape).contains("livesae_trainer_tokens_total{hookpoint=\"" + hook + "\",sae_id=\"pending\"} 0.0",
                    "livesae_trainer_checkpoints_total{hookpoint=\"" + hook + "\",sae_id=\"pending\"} 0.0",
                    "livesae_records_rejected_records_total{component=\"trainer\",reason=\"UNDECODABLE\"} 3.0");
            for (RejectReason r : RejectReason.values()) {
                assertThat(scrape).as(r.name()).contains("livesae_records_rejected_records_total{component=\"trainer\",reason=\""
                        + r.name() + "\"}");
            }

            // the first valid batch fixes the SAE id: the meters move to it, the pending series go away
            Synthetic data = new Synthetic("synthetic", hook, 3L);
            try (KafkaProducer<byte[], byte[]> producer = KafkaSupport.producer(KAFKA.bootstrapServers())) {
                KafkaSupport.send(producer, topic, 0, codec.encode(data.next(ROWS)));
            }
            KafkaSupport.await(Duration.ofSeconds(60), "a valid batch", () -> service.progress().tokensConsumed() == ROWS);
            assertThat(registry.find("livesae.trainer.tokens").tag("sae_id", "pending").counter()).isNull();
            assertThat(registry.find("livesae.trainer.tokens").tag("hookpoint", hook).counter()).isNotNull();
        } finally {
            service.close();
        }
    }
}
