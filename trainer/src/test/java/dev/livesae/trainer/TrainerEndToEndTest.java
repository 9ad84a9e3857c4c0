package dev.livesae.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import dev.livesae.engine.Sae;
import dev.livesae.kafka.test.KafkaBrokerExtension;
import dev.livesae.trainer.checkpoint.TrainerState;
import dev.livesae.wire.ActivationBatch;
import dev.livesae.wire.ActivationBatchCodec;
import dev.livesae.wire.CodeBatch;
import dev.livesae.wire.CodeBatchCodec;
import dev.livesae.wire.Topics;
import dev.livesae.wire.WireAllocator;

/**
 * Synthetic activations with known features (labelled synthetic) -> real embedded Kafka -> trainer ->
 * checkpoint: the features are recovered, and the codes topic holds one decodable CodeBatch per record.
 */
class TrainerEndToEndTest {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    static final int RECORDS = 1600;
    static final int ROWS = 256;
    static final int PARTITIONS = 2;

    @Test
    void recoversKnownFeaturesThroughKafkaAndPublishesCodes(@TempDir Path dir) throws Exception {
        String hook = KafkaSupport.unique("e2e");
        String topic = Topics.activations("synthetic", hook);
        KAFKA.createTopic(topic, PARTITIONS);
        Synthetic data = new Synthetic("synthetic", hook, 7L);
        try (BufferAllocator alloc = WireAllocator.root().newChildAllocator("e2e-test", 0, Long.MAX_VALUE);
             ActivationBatchCodec codec = new ActivationBatchCodec(alloc);
             KafkaProducer<byte[], byte[]> producer = KafkaSupport.producer(KAFKA.bootstrapServers())) {
            for (int i = 0; i < RECORDS; i++) {
                ActivationBatch b = data.next(ROWS);
                producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, i % PARTITIONS, null,
                        codec.encode(b)));
            }
            producer.flush();
        }
        long total = (long) RECORDS * ROWS;
        TrainerOptions opts = TrainerOptions.builder(KAFKA.bootstrapServers(), topic)
                .model("synthetic").hookpoint(hook).checkpointDir(dir)
                .dSae(Synthetic.N).k(Synthetic.K).batch(1024).shuffleBuffer(4096)
                .lr(2e-3f).warmupSteps(50).deadTokens(100_000).seed(11)
                .promoteEvery(100_000).checkpointEveryTokens(150_000)
                .maxTokens(total).metricsPort(0).progressEvery(Duration.ofMillis(500))
                .build();
        TrainerService service = new TrainerService(opts);
        CompletableFuture<TrainerProgress> done = service.start();

        // the Prometheus endpoint serves trainer and Kafka client meters while training runs
        KafkaSupport.await(Duration.ofSeconds(60), "first trained tokens",
                () -> service.progress().tokensTrained() > 0 || done.isDone());
        String url = service.metricsUrl().orElseThrow();
        String scrape = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(scrape).contains("livesae_trainer_tokens_total{hookpoint=\"" + hook + "\"",
                "livesae_trainer_consumer_lag_records{", "kafka_consumer_fetch_manager_records_consumed_total",
                "kafka_producer_record_send_total");

        TrainerProgress last = done.get(150, TimeUnit.SECONDS);
        assertThat(last.tokensTrained()).isEqualTo(total);
        assertThat(last.tokensConsumed()).isEqualTo(total);
        assertThat(last.rejectedRecords()).isZero();
        assertThat(last.dictionaryVersion()).isEqualTo(total / 100_000);

        Path ck = service.lastCheckpoint().orElseThrow();
        TrainerState state = TrainerState.read(ck);
        assertThat(state.trained().count()).isEqualTo(total);
        assertThat(state.offsets()).containsEntry(0, (long) RECORDS / PARTITIONS).containsEntry(1, (long) RECORDS / PARTITIONS);
        Sae trained = Sae.load(ck.resolve(TrainingLoop.ENGINE_DIR));
        double cos = data.gen.meanBestCosine(trained);
        System.out.printf("mean best cosine %.4f after %d tokens through Kafka (%s)%n", cos, total, last.line());
        assertThat(cos).isGreaterThanOrEqualTo(0.95);

        List<ConsumerRecord<byte[], byte[]>> codes = KafkaSupport.readAll(KAFKA.bootstrapServers(),
                Topics.codes("synthetic", hook), RECORDS);
        assertThat(codes).hasSize(RECORDS);
        Set<Long> sequences = new HashSet<>();
        Set<Long> versions = new HashSet<>();
        long[] lastVersion = new long[PARTITIONS];
        double fracFirst = 0;
        double fracLast = 0;
        try (BufferAllocator alloc = WireAllocator.root().newChildAllocator("e2e-codes", 0, Long.MAX_VALUE);
             CodeBatchCodec codec = new CodeBatchCodec(alloc)) {
            for (ConsumerRecord<byte[], byte[]> rec : codes) {
                CodeBatch c = codec.decode(rec.value());
                assertThat(c.meta().saeId()).isEqualTo(state.saeId());
                assertThat(new String(rec.key(), java.nio.charset.StandardCharsets.UTF_8))
                        .as("codes are keyed by SAE id so one SAE's codes share a partition").isEqualTo(state.saeId());
                assertThat(c.meta().dSae()).isEqualTo(Synthetic.N);
                assertThat(c.k()).isEqualTo(Synthetic.K);
                assertThat(c.rows()).isEqualTo(ROWS);
                long v = c.meta().dictionaryVersion();
                assertThat(v).isGreaterThanOrEqualTo(lastVersion[rec.partition()]); // versions only move forward
                lastVersion[rec.partition()] = v;
                versions.add(v);
                sequences.add(c.sequenceIds()[0]);
                double frac = 0;
                for (int r = 0; r < c.rows(); r++) {
                    frac += c.reconError()[r] / c.centeredSqNorm()[r];
                }
                frac /= c.rows();
                if (v == 0) {
                    fracFirst = Math.max(fracFirst, frac);
                }
                if (v == total / 100_000) {
                    fracLast = frac;
                }
            }
        }
        assertThat(sequences).hasSize(RECORDS);
        assertThat(versions).contains(0L, total / 100_000);
        // the last promoted dictionary explains the data far better than the initial one
        assertThat(fracLast).isLessThan(0.25).isLessThan(fracFirst / 2);
    }
}
