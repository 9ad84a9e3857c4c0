package dev.livesae.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import dev.livesae.engine.Sae;
import dev.livesae.engine.SaeTrainer;
import dev.livesae.engine.TopKCodes;
import dev.livesae.kafka.test.KafkaBrokerExtension;
import dev.livesae.wire.ActivationBatch;
import dev.livesae.wire.ActivationBatchCodec;
import dev.livesae.wire.CodeBatch;
import dev.livesae.wire.CodeBatchCodec;
import dev.livesae.wire.Topics;
import dev.livesae.wire.WireAllocator;

/** {@code --encode-only --sae DIR}: a frozen SAE encodes every batch for telemetry, nothing is trained. */
class EncodeOnlyTest {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    static final int ROWS = 48;

    @Test
    void frozenSaeEncodesEveryBatchWithTheGivenVersionAndResumesFromCommittedOffsets(@TempDir Path tmp)
            throws Exception {
        String hook = KafkaSupport.unique("frozen");
        String topic = Topics.activations("synthetic", hook);
        KAFKA.createTopic(topic, 1);
        Synthetic data = new Synthetic("synthetic", hook, 8L);
        Path saeDir = tmp.resolve("frozen-sae");
        List<ActivationBatch> batches = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            batches.add(data.next(ROWS));
        }
        try (SaeTrainer t = SaeTrainer.create(TrainingLoopTest.config(5L), batches.get(0).activations(), ROWS)) {
            t.step(batches.get(1).activations(), ROWS);
            t.snapshot().save(saeDir, "synthetic", hook); // SAELens layout, what Sae.load reads
        }
        Sae frozen = Sae.load(saeDir);
        try (BufferAllocator alloc = WireAllocator.root().newChildAllocator("encode-only", 0, Long.MAX_VALUE);
             ActivationBatchCodec codec = new ActivationBatchCodec(alloc);
             KafkaProducer<byte[], byte[]> producer = KafkaSupport.producer(KAFKA.bootstrapServers())) {
            for (int i = 0; i < 6; i++) {
                KafkaSupport.send(producer, topic, 0, codec.encode(batches.get(i)));
            }
            KafkaSupport.send(producer, topic, 0, codec.encode(new Synthetic("synthetic", hook, 32, 16, 1L).next(4)));
            TrainerOptions opts = TrainerOptions.builder(KAFKA.bootstrapServers(), topic).encodeOnly(saeDir)
                    .dictionaryVersion(7).saeId("frozen-test").maxTokens(6L * ROWS)
                    .progressEvery(Duration.ofMillis(200)).build();
            TrainerProgress first = new TrainerService(opts).run();
            assertThat(first.tokensTrained()).isZero();
            assertThat(first.tokensConsumed()).isEqualTo(6L * ROWS);
            assertThat(first.codeBatches()).isEqualTo(6);

            // a restart continues from the committed offsets: the wrong-width record, then the rest
            for (int i = 6; i < 10; i++) {
                KafkaSupport.send(producer, topic, 0, codec.encode(batches.get(i)));
            }
            TrainerProgress second = new TrainerService(TrainerOptions.builder(KAFKA.bootstrapServers(), topic)
                    .encodeOnly(saeDir).dictionaryVersion(7).saeId("frozen-test").maxTokens(4L * ROWS)
                    .progressEvery(Duration.ofMillis(200)).build()).run();
            assertThat(second.tokensConsumed()).isEqualTo(4L * ROWS);
            assertThat(second.rejectedRecords()).isEqualTo(1);
        }

        List<ConsumerRecord<byte[], byte[]>> codes = KafkaSupport.readAll(KAFKA.bootstrapServers(),
                Topics.codes("synthetic", hook), 10);
        assertThat(codes).hasSize(10);
        Map<Long, ActivationBatch> bySequence = new HashMap<>();
        batches.forEach(b -> bySequence.put(b.sequenceIds()[0], b));
        try (BufferAllocator alloc = WireAllocator.root().newChildAllocator("encode-only-codes", 0, Long.MAX_VALUE);
             CodeBatchCodec codec = new CodeBatchCodec(alloc)) {
            for (ConsumerRecord<byte[], byte[]> rec : codes) {
                CodeBatch c = codec.decode(rec.value());
                assertThat(c.meta().saeId()).isEqualTo("frozen-test");
                assertThat(c.meta().dictionaryVersion()).isEqualTo(7);
                ActivationBatch src = bySequence.remove(c.sequenceIds()[0]);
                TopKCodes expected = frozen.encode(src.activations(), src.rows());
                assertThat(c.latentIndices()).isEqualTo(expected.indices());
                assertThat(c.latentValues()).isEqualTo(expected.values());
                assertThat(c.reconError()).isEqualTo(expected.reconError());
                assertThat(c.tokenIds()).isEqualTo(src.tokenIds());
            }
        }
        assertThat(bySequence).isEmpty();
    }

    @Test
    void sampledCodesCoverOneTokenInNAndEqualTheExactEncodeOfThoseTokens(@TempDir Path tmp) throws Exception {
        String hook = KafkaSupport.unique("sampled");
        String topic = Topics.activations("synthetic", hook);
        KAFKA.createTopic(topic, 1);
        Synthetic data = new Synthetic("synthetic", hook, 9L);
        Path saeDir = tmp.resolve("frozen-sae");
        List<ActivationBatch> batches = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            batches.add(data.next(ROWS));
        }
        try (SaeTrainer t = SaeTrainer.create(TrainingLoopTest.config(5L), batches.get(0).activations(), ROWS)) {
            t.snapshot().save(saeDir, "synthetic", hook);
        }
        Sae frozen = Sae.load(saeDir);
        int every = 4;
        try (BufferAllocator alloc = WireAllocator.root().newChildAllocator("sampled", 0, Long.MAX_VALUE);
             ActivationBatchCodec codec = new ActivationBatchCodec(alloc);
             KafkaProducer<byte[], byte[]> producer = KafkaSupport.producer(KAFKA.bootstrapServers())) {
            for (ActivationBatch b : batches) {
                KafkaSupport.send(producer, topic, 0, codec.encode(b));
            }
            TrainerProgress p = new TrainerService(TrainerOptions.builder(KAFKA.bootstrapServers(), topic)
                    .encodeOnly(saeDir).saeId("sampled-test").codesSample(every).maxTokens(8L * ROWS)
                    .progressEvery(Duration.ofMillis(200)).build()).run();
            assertThat(p.tokensConsumed()).isEqualTo(8L * ROWS);
            assertThat(p.codeBatches()).isEqualTo(8);
        }
        List<ConsumerRecord<byte[], byte[]>> codes = KafkaSupport.readAll(KAFKA.bootstrapServers(),
                Topics.codes("synthetic", hook), 8);
        assertThat(codes).hasSize(8);
        long tokens = 0;
        try (BufferAllocator alloc = WireAllocator.root().newChildAllocator("sampled-codes", 0, Long.MAX_VALUE);
             CodeBatchCodec codec = new CodeBatchCodec(alloc)) {
            for (ConsumerRecord<byte[], byte[]> rec : codes) {
                CodeBatch c = codec.decode(rec.value());
                ActivationBatch src = batches.get((int) c.sequenceIds()[0]);
                int phase = new CodeSample(every).phase(0, (int) c.sequenceIds()[0]); // offset i holds batch i
                float[] x = new float[c.rows() * src.dIn()];
                for (int j = 0; j < c.rows(); j++) {
                    int r = phase + every * j;
                    assertThat(c.positions()[j]).isEqualTo(r);
                    System.arraycopy(src.activations(), r * src.dIn(), x, j * src.dIn(), src.dIn());
                }
                TopKCodes expected = frozen.encode(x, c.rows());
                assertThat(c.latentIndices()).isEqualTo(expected.indices());
                assertThat(c.latentValues()).isEqualTo(expected.values());
                tokens += c.rows();
            }
        }
        assertThat(tokens).isEqualTo(8L * ROWS / every);
    }
}
