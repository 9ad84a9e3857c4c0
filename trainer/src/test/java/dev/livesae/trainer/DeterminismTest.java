package dev.livesae.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import dev.livesae.engine.Sae;
import dev.livesae.kafka.test.KafkaBrokerExtension;
import dev.livesae.trainer.checkpoint.TrainerState;
import dev.livesae.wire.ActivationBatch;
import dev.livesae.wire.ActivationBatchCodec;
import dev.livesae.wire.Topics;
import dev.livesae.wire.WireAllocator;

/**
 * Same batches in the same order give bit-identical weights, also across a stop and restart in the middle
 * (the shuffle buffer, its RNG state and the partial minibatch are part of the checkpoint).
 */
class DeterminismTest {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    static final int ROWS = 96;
    static final int RECORDS = 60;

    static void publish(String topic, List<ActivationBatch> batches) {
        try (BufferAllocator alloc = WireAllocator.root().newChildAllocator("determinism-test", 0, Long.MAX_VALUE);
             ActivationBatchCodec codec = new ActivationBatchCodec(alloc);
             KafkaProducer<byte[], byte[]> producer = KafkaSupport.producer(KAFKA.bootstrapServers())) {
            for (ActivationBatch b : batches) {
                producer.send(new ProducerRecord<>(topic, 0, null, codec.encode(b)));
            }
            producer.flush();
        }
    }

    static TrainerOptions options(String topic, Path dir, long maxTokens) {
        return TrainerOptions.builder(KAFKA.bootstrapServers(), topic).checkpointDir(dir)
                .dSae(Synthetic.N).k(Synthetic.K).batch(128).shuffleBuffer(1000).lr(2e-3f).warmupSteps(5).seed(3)
                .saeId("determinism").emitCodes(false).maxTokens(maxTokens).progressEvery(Duration.ofMillis(100))
                .build();
    }

    @Test
    void sameRecordsGiveBitIdenticalWeightsWithOrWithoutAStopInTheMiddle(@TempDir Path tmp) throws Exception {
        Synthetic data = new Synthetic("synthetic", "det", 21L);
        List<ActivationBatch> batches = new ArrayList<>();
        for (int i = 0; i < RECORDS; i++) {
            batches.add(data.next(ROWS));
        }
        long total = (long) RECORDS * ROWS;

        String whole = Topics.activations("synthetic", KafkaSupport.unique("det-whole"));
        KAFKA.createTopic(whole, 1);
        publish(whole, batches);
        TrainerService a = new TrainerService(options(whole, tmp.resolve("a"), total));
        assertThat(a.run().tokensTrained()).isEqualTo(total);

        String split = Topics.activations("synthetic", KafkaSupport.unique("det-split"));
        KAFKA.createTopic(split, 1);
        publish(split, batches.subList(0, 37)); // 37 * 96 rows: stops mid-minibatch with a full buffer
        TrainerService b1 = new TrainerService(options(split, tmp.resolve("b"), 0));
        CompletableFuture<TrainerProgress> b1done = b1.start();
        KafkaSupport.await(Duration.ofSeconds(60), "first part consumed",
                () -> b1.progress().tokensConsumed() == 37L * ROWS);
        b1.stop();
        TrainerProgress mid = b1done.get(60, TimeUnit.SECONDS);
        assertThat(mid.tokensTrained()).isLessThan(mid.tokensConsumed());
        publish(split, batches.subList(37, RECORDS));
        TrainerService b2 = new TrainerService(options(split, tmp.resolve("b"), total));
        assertThat(b2.run().tokensTrained()).isEqualTo(total);

        Path ckA = a.lastCheckpoint().orElseThrow();
        Path ckB = b2.lastCheckpoint().orElseThrow();
        assertThat(TrainerState.read(ckB).trained()).isEqualTo(TrainerState.read(ckA).trained());
        Sae wa = Sae.load(ckA.resolve(TrainingLoop.ENGINE_DIR));
        Sae wb = Sae.load(ckB.resolve(TrainingLoop.ENGINE_DIR));
        assertThat(TrainingLoopTest.sameWeights(wa, wb)).isTrue();
    }
}
