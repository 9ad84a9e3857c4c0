package dev.livesae.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import dev.livesae.kafka.test.KafkaBrokerExtension;
import dev.livesae.trainer.checkpoint.TrainerState;
import dev.livesae.wire.ActivationBatchCodec;
import dev.livesae.wire.Topics;
import dev.livesae.wire.WireAllocator;

class CatchUpPolicyTest {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    static final int ROWS = 32;
    static final int BACKLOG = 200;

    static String topicWithBacklog(String hook, int records) {
        String topic = Topics.activations("synthetic", hook);
        KAFKA.createTopic(topic, 1);
        publish(topic, hook, records, 0);
        return topic;
    }

    static void publish(String topic, String hook, int records, long seed) {
        Synthetic data = new Synthetic("synthetic", hook, 5L + seed);
        try (BufferAllocator alloc = WireAllocator.root().newChildAllocator("catch-up-test", 0, Long.MAX_VALUE);
             ActivationBatchCodec codec = new ActivationBatchCodec(alloc);
             KafkaProducer<byte[], byte[]> producer = KafkaSupport.producer(KAFKA.bootstrapServers())) {
            for (int i = 0; i < records; i++) {
                producer.send(new ProducerRecord<>(topic, 0, null, codec.encode(data.next(ROWS))));
            }
            producer.flush();
        }
    }

    static TrainerOptions.Builder options(String topic, Path dir) {
        return TrainerOptions.builder(KAFKA.bootstrapServers(), topic).checkpointDir(dir)
                .dSae(Synthetic.N).k(Synthetic.K).batch(ROWS).shuffleBuffer(0).lr(2e-3f).warmupSteps(5)
                .emitCodes(false).progressEvery(Duration.ofMillis(100));
    }

    @Test
    void latestSkipsTheBacklogPastMaxLagAndRecordsTheSkippedRange(@TempDir Path dir) throws Exception {
        String hook = KafkaSupport.unique("latest");
        String topic = topicWithBacklog(hook, BACKLOG);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TrainerService service = new TrainerService(options(topic, dir).catchUp(CatchUpPolicy.LATEST).maxLag(20).build(),
                registry);
        CompletableFuture<TrainerProgress> done = service.start();
        KafkaSupport.await(Duration.ofSeconds(60), "backlog consumed or skipped", () -> {
            TrainerProgress p = service.progress();
            return p.lag() == 0 && p.tokensConsumed() / ROWS + p.skippedRecords() == BACKLOG;
        });
        // new data arriving within --max-lag is trained, nothing more is skipped
        publish(topic, hook, 5, 1);
        long skippedBefore = service.progress().skippedRecords();
        KafkaSupport.await(Duration.ofSeconds(60), "new records consumed",
                () -> service.progress().tokensConsumed() / ROWS + service.progress().skippedRecords() == BACKLOG + 5);
        service.stop();
        TrainerProgress last = done.get(60, TimeUnit.SECONDS);

        assertThat(last.skippedRecords()).isEqualTo(skippedBefore).isPositive();
        assertThat(last.tokensConsumed() / ROWS + last.skippedRecords()).isEqualTo(BACKLOG + 5);
        assertThat(last.lag()).isZero();
        assertThat(registry.get("livesae.trainer.catchup.skipped").counter().count()).isEqualTo(last.skippedRecords());
        TrainerState state = TrainerState.read(service.lastCheckpoint().orElseThrow());
        assertThat(state.skippedRecords()).isEqualTo(last.skippedRecords());
        assertThat(state.skippedRanges()).hasSize(1);
        TrainerState.SkippedRange r = state.skippedRanges().get(0);
        assertThat(r.partition()).isZero();
        assertThat(r.toOffset() - r.fromOffset()).isEqualTo(last.skippedRecords());
        assertThat(r.toOffset()).isEqualTo(BACKLOG - 20 / 2); // keeps max-lag/2 of the newest records
        assertThat(state.offsets()).containsEntry(0, (long) BACKLOG + 5);
        // exactly-once accounting stays explainable: consumed + skipped + rejected = every offset
        assertThat(state.consumed().count() / ROWS + state.skippedRecords()).isEqualTo(BACKLOG + 5);
    }

    @Test
    void allTrainsOnEveryRecordWhateverTheLag(@TempDir Path dir) throws Exception {
        String hook = KafkaSupport.unique("all");
        String topic = topicWithBacklog(hook, BACKLOG);
        TrainerService service = new TrainerService(options(topic, dir).catchUp(CatchUpPolicy.ALL).maxLag(20)
                .maxTokens((long) BACKLOG * ROWS).build());
        TrainerProgress last = service.run();
        assertThat(last.skippedRecords()).isZero();
        assertThat(last.tokensTrained()).isEqualTo((long) BACKLOG * ROWS);
        assertThat(last.lag()).isZero();
    }
}
