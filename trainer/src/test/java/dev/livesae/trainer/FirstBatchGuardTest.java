package dev.livesae.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import dev.livesae.kafka.test.KafkaBrokerExtension;
import dev.livesae.wire.ActivationBatch;
import dev.livesae.wire.ActivationBatchCodec;
import dev.livesae.wire.ActivationMeta;
import dev.livesae.wire.DeadLetters;
import dev.livesae.wire.Topics;
import dev.livesae.wire.WireAllocator;

/**
 * A fresh trainer's first batch fixes d_in and so the SAE's size, and its norm the SAE's initial scale: a first batch
 * it cannot build an SAE from (too wide for memory, all zeros) is dead-lettered, and the next valid batch starts training (instead of the trainer failing on that record forever).
 */
class FirstBatchGuardTest {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @Test
    void aFirstBatchTooWideOrAllZeroIsDeadLetteredAndTrainingStartsOnTheNext(@TempDir Path dir) throws Exception {
        String hook = KafkaSupport.unique("first");
        String topic = Topics.activations("synthetic", hook);
        KAFKA.createTopic(topic, 1);
        Synthetic data = new Synthetic("synthetic", hook, 7L);
        int rows = 64;
        try (BufferAllocator alloc = WireAllocator.root().newChildAllocator("first-batch-test", 0, Long.MAX_VALUE);
             ActivationBatchCodec codec = new ActivationBatchCodec(alloc);
             KafkaProducer<byte[], byte[]> producer = KafkaSupport.producer(KAFKA.bootstrapServers())) {
            int wide = 60_000; // under the wire's d_in cap; an SAE of 8 x 60,000 latents needs ~900 GiB
            KafkaSupport.send(producer, topic, 0, codec.encode(new ActivationBatch(new ActivationMeta("synthetic", hook, wide),
                    new long[] {1}, new int[] {0}, null, new float[wide])));
            KafkaSupport.send(producer, topic, 0, codec.encode(new ActivationBatch(new ActivationMeta("synthetic", hook, 2),
                    new long[] {1}, new int[] {0}, null, new float[2])));
            KafkaSupport.send(producer, topic, 0, codec.encode(data.next(rows)));
            KafkaSupport.send(producer, topic, 0, codec.encode(data.next(rows)));
        }
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TrainerService service = new TrainerService(TrainerOptions.builder(KAFKA.bootstrapServers(), topic)
                .checkpointDir(dir).expansion(8).k(Synthetic.K).batch(rows).shuffleBuffer(0).lr(2e-3f).warmupSteps(5)
                .progressEvery(Duration.ofMillis(200)).maxTokens(2L * rows).build(), registry);
        TrainerProgress last = service.run();

        assertThat(last.tokensTrained()).isEqualTo(2L * rows);
        assertThat(last.rejectedRecords()).isEqualTo(2);
        List<ConsumerRecord<byte[], byte[]>> dead = KafkaSupport.readAll(KAFKA.bootstrapServers(), Topics.deadLetter(topic), 2);
        assertThat(dead).extracting(d -> DeadLetters.header(d.headers(), DeadLetters.REASON))
                .containsExactly("DIMENSION_TOO_LARGE", "UNEXPECTED_SHAPE");
        assertThat(DeadLetters.header(dead.get(0).headers(), DeadLetters.DETAIL)).contains("d_in = 60000", "d_sae = 480000");

        registry.close();
    }
}
