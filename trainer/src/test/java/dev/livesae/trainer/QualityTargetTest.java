package dev.livesae.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import dev.livesae.engine.Sae;
import dev.livesae.engine.TopKCodes;
import dev.livesae.kafka.test.KafkaBrokerExtension;
import dev.livesae.wire.ActivationBatchCodec;
import dev.livesae.wire.Topics;
import dev.livesae.wire.WireAllocator;

/**
 * The quality target on superposition data with known features (labelled synthetic), through the broker and the
 * trainer service: mean max cosine (MMCS) of the true features with the decoder rows >= 0.99, >= 99 % of the true
 * features recovered at cosine > 0.9, and a held-out FVU no worse than {@link DenseTopKReference}, a plain dense
 * TopK SAE trained in this test on the same tokens with the same k, n, batch, learning rate and warm-up.
 * Shape (smaller than issue 14's d=64, n=1024, 1.8M tokens, to keep the test near a minute): d=64, m=256
 * features, alpha 0.5, 4 active per token on average, n=512, k=8, 819,200 tokens in batches of 1,024.
 */
class QualityTargetTest {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    static final int D = 64;
    static final int M = 512;
    static final int N = 1024;
    static final int K = 8;
    static final int BATCH = 1024;
    static final int RECORDS = 1758; // 1,800,192 tokens: the shape of issue 14
    static final int HELD_OUT = 8192;
    static final float LR = 2e-3f;
    static final long WARMUP = 50;
    static final long DATA_SEED = 23;

    @Test
    void reachesTheRecoveryTargetAndAnFvuNoWorseThanAPlainDenseReference(@TempDir Path dir) throws Exception {
        String topic = Topics.activations("synthetic", KafkaSupport.unique("quality"));
        KAFKA.createTopic(topic, 1);
        Synthetic data = new Synthetic("synthetic", "quality", D, M, DATA_SEED);
        try (BufferAllocator alloc = WireAllocator.root().newChildAllocator("quality-test", 0, Long.MAX_VALUE);
             ActivationBatchCodec codec = new ActivationBatchCodec(alloc);
             KafkaProducer<byte[], byte[]> producer = KafkaSupport.producer(KAFKA.bootstrapServers())) {
            for (int i = 0; i < RECORDS; i++) {
                producer.send(new ProducerRecord<>(topic, 0, null, codec.encode(data.next(BATCH))));
            }
            producer.flush();
        }
        float[] heldOut = data.gen.next(HELD_OUT); // same distribution, never trained on
        long total = (long) RECORDS * BATCH;
        long t0 = System.nanoTime();
        TrainerOptions opts = TrainerOptions.builder(KAFKA.bootstrapServers(), topic).model("synthetic").hookpoint("quality")
                .checkpointDir(dir).dSae(N).k(K).batch(BATCH).shuffleBuffer(4 * BATCH).lr(LR).warmupSteps(WARMUP)
                .deadTokens(100_000).resampleEvery(250_000).resampleMaxTimes(3).seed(1)
                .promoteEvery(0).emitCodes(false).maxTokens(total).progressEvery(Duration.ofSeconds(5)).build();
        TrainerProgress last = new TrainerService(opts).run();
        double trainSeconds = (System.nanoTime() - t0) / 1e9;
        assertThat(last.tokensTrained()).isEqualTo(total);
        Sae sae = Sae.load(new dev.livesae.trainer.checkpoint.CheckpointStore(dir).latest().orElseThrow()
                .resolve(TrainingLoop.ENGINE_DIR));
        double mmcs = data.gen.meanBestCosine(sae);
        double recovered = data.gen.recoveredFraction(sae, 0.9);
        double fvu = fvu(sae, heldOut, HELD_OUT);

        // the reference: the same tokens (the same generator replayed), the same held-out rows
        long t1 = System.nanoTime();
        Synthetic replay = new Synthetic("synthetic", "quality", D, M, DATA_SEED);
        float[] first = replay.gen.next(BATCH);
        DenseTopKReference ref = new DenseTopKReference(D, N, K, LR, WARMUP, 1, first, BATCH);
        ref.step(first, BATCH);
        for (int i = 1; i < RECORDS; i++) {
            ref.step(replay.gen.next(BATCH), BATCH);
        }
        double refFvu = ref.fvu(replay.gen.next(HELD_OUT), HELD_OUT);
        double refSeconds = (System.nanoTime() - t1) / 1e9;
        System.out.printf("quality: livesae mmcs %.4f recovered %.4f held-out fvu %.5f dead %.4f resampled %d (%.0f s, "
                        + "%s); dense reference held-out fvu %.5f (%.0f s)%n", mmcs, recovered, fvu, last.deadFraction(),
                last.resampledLatents(), trainSeconds, last.line(), refFvu, refSeconds);

        assertThat(mmcs).as("mean max cosine").isGreaterThanOrEqualTo(0.99);
        assertThat(recovered).as("true features with a decoder row at cosine > 0.9").isGreaterThanOrEqualTo(0.99);
        // Both sides run the same algorithm on the same tokens (no latent dies, so AuxK and resampling stay idle);
        // they differ only in float summation order, which moves the held-out FVU in the 4th digit either way
        // (measured 2026-12-02: 0.137277 against the reference's 0.137266, 0.008 % apart). "No worse" is therefore
        // checked up to that noise, 0.5 % relative.
        assertThat(fvu).as("held-out FVU against the dense reference's %.5f", refFvu)
                .isLessThanOrEqualTo(refFvu * 1.005);
    }

    static double fvu(Sae sae, float[] x, int rows) {
        int d = sae.dIn();
        TopKCodes c = sae.encode(x, rows);
        double[] mean = new double[d];
        for (int q = 0; q < rows * d; q++) {
            mean[q % d] += x[q] / (double) rows;
        }
        double se = 0;
        double tv = 0;
        for (int r = 0; r < rows; r++) {
            se += c.reconError()[r];
            for (int q = 0; q < d; q++) {
                double t = x[r * d + q] - mean[q];
                tv += t * t;
            }
        }
        return se / tv;
    }
}
