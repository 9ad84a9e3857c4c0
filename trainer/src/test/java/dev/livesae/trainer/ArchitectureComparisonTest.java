package dev.livesae.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import dev.livesae.engine.Architecture;
import dev.livesae.engine.Sae;
import dev.livesae.engine.eval.CoreMetrics;
import dev.livesae.kafka.test.KafkaBrokerExtension;
import dev.livesae.wire.ActivationBatchCodec;
import dev.livesae.wire.Topics;
import dev.livesae.wire.WireAllocator;

/**
 * The measurement behind the architecture table in docs/trainer.md: topk, batchtopk and matryoshka-batchtopk
 * trained through the broker on the same synthetic records (the path and shapes of {@link TrainerEndToEndTest}:
 * d = 64, m = 128 true features, n = 512, k = 8, 409,600 tokens), then MMCS, recovered features, held-out FVU,
 * dead fraction and throughput. Several minutes on the shared machine, so only with {@code -Dlivesae.measure=true}:
 * {@code mvn -B -o -pl trainer -am test -Dtest=ArchitectureComparisonTest -Dlivesae.measure=true
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@EnabledIfSystemProperty(named = "livesae.measure", matches = "true")
class ArchitectureComparisonTest {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    static final int RECORDS = 1600;
    static final int ROWS = 256;

    @Test
    void measuresTheThreeArchitecturesOnTheSameSyntheticRecords(@TempDir Path dir) throws Exception {
        String hook = KafkaSupport.unique("arch");
        String topic = Topics.activations("synthetic", hook);
        KAFKA.createTopic(topic, 1);
        Synthetic data = new Synthetic("synthetic", hook, 7L);
        try (BufferAllocator alloc = WireAllocator.root().newChildAllocator("arch-compare", 0, Long.MAX_VALUE);
             ActivationBatchCodec codec = new ActivationBatchCodec(alloc);
             KafkaProducer<byte[], byte[]> producer = KafkaSupport.producer(KAFKA.bootstrapServers())) {
            for (int i = 0; i < RECORDS; i++) {
                producer.send(new ProducerRecord<>(topic, 0, null, codec.encode(data.next(ROWS))));
            }
            producer.flush();
        }
        float[] heldOut = data.gen.next(8192); // fresh rows from the same generator, never published
        long total = (long) RECORDS * ROWS;
        List<String> lines = new ArrayList<>();
        for (Architecture.Kind kind : Architecture.Kind.values()) {
            TrainerOptions opts = TrainerOptions.builder(KAFKA.bootstrapServers(), topic)
                    .model("synthetic").hookpoint(hook).checkpointDir(dir.resolve(kind.cliName()))
                    .groupId("compare-" + kind.cliName() + "-" + hook).emitCodes(false)
                    .dSae(Synthetic.N).k(Synthetic.K).batch(1024).shuffleBuffer(4096)
                    .lr(2e-3f).warmupSteps(50).deadTokens(100_000).seed(11)
                    .architecture(kind).promoteEvery(100_000).checkpointEveryTokens(0)
                    .maxTokens(total).progressEvery(Duration.ofSeconds(5)).build();
            TrainerService service = new TrainerService(opts);
            TrainerProgress last = service.run();
            assertThat(last.tokensTrained()).isEqualTo(total);
            Path ck = service.lastCheckpoint().orElseThrow();
            Sae sae = Sae.load(ck.resolve(TrainingLoop.ENGINE_DIR));
            double[] best = data.gen.bestCosines(sae);
            double mmcs = java.util.Arrays.stream(best).average().orElseThrow();
            double recovered = java.util.Arrays.stream(best).filter(c -> c > 0.9).count() / (double) best.length;
            CoreMetrics.Result core = sae.evaluate(heldOut, 8192, sae.dSae());
            String line = String.format(Locale.ROOT, "%s: MMCS %.4f, recovered (cos > 0.9) %.4f, last-step FVU %.4f, "
                    + "held-out FVU %.4f at L0 %.2f, dead %.4f, %.0f tokens/s (trained tokens / training seconds)",
                    kind.cliName(), mmcs, recovered, last.fvu(), 1 - core.explainedVariance(), core.l0(),
                    last.deadFraction(), last.tokensTrained() / last.trainingSeconds());
            System.out.println(line);
            lines.add(line);
            assertThat(mmcs).isGreaterThan(0.8);
        }
        lines.forEach(System.out::println);
    }
}
