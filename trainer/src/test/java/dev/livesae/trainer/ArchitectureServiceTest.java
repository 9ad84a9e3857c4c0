package dev.livesae.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import dev.livesae.engine.Architecture;
import dev.livesae.engine.Sae;
import dev.livesae.engine.SaeTrainer;
import dev.livesae.kafka.test.KafkaBrokerExtension;
import dev.livesae.wire.CodeBatch;
import dev.livesae.wire.CodeBatchCodec;
import dev.livesae.wire.Topics;
import dev.livesae.wire.WireAllocator;

/**
 * {@code --architecture batchtopk} through the real broker: the promoted dictionary is exported as a SAELens
 * JumpReLU SAE with the metadata and core metrics, and that export, loaded in encode-only mode, gives the same
 * codes as the trainer's own encoder (the codes it published with that dictionary version) on the same rows.
 */
class ArchitectureServiceTest {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    static final int RECORDS = 120;
    static final int ROWS = 256;

    @Test
    void batchTopKExportsJumpReluWhoseEncodeOnlyCodesEqualTheTrainersOwn(@TempDir Path dir) throws Exception {
        String hook = KafkaSupport.unique("batchtopk");
        String topic = Topics.activations("synthetic", hook);
        KAFKA.createTopic(topic, 1);
        Synthetic data = new Synthetic("synthetic", hook, 9L);
        try (BufferAllocator alloc = WireAllocator.root().newChildAllocator("bt-test", 0, Long.MAX_VALUE);
             dev.livesae.wire.ActivationBatchCodec codec = new dev.livesae.wire.ActivationBatchCodec(alloc);
             KafkaProducer<byte[], byte[]> producer = KafkaSupport.producer(KAFKA.bootstrapServers())) {
            for (int i = 0; i < RECORDS; i++) {
                producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, 0, null,
                        codec.encode(data.next(ROWS))));
            }
            producer.flush();
        }
        long total = (long) RECORDS * ROWS;
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        TrainerOptions opts = TrainerOptions.builder(KAFKA.bootstrapServers(), topic)
                .model("synthetic").hookpoint(hook).checkpointDir(dir.resolve("ck"))
                .dSae(Synthetic.N).k(Synthetic.K).batch(1024).shuffleBuffer(2048)
                .lr(2e-3f).warmupSteps(20).deadTokens(50_000).seed(3)
                .architecture(Architecture.Kind.BATCHTOPK).evalRows(2048)
                .promoteEvery(8192).checkpointEveryTokens(0).maxTokens(total).progressEvery(Duration.ofMillis(500))
                .build();
        TrainerService service = new TrainerService(opts, registry);
        TrainerProgress last = service.run();
        assertThat(last.tokensTrained()).isEqualTo(total);
        long version = last.dictionaryVersion();
        assertThat(version).isGreaterThanOrEqualTo(3);

        // the export: SAELens JumpReLU layout with a threshold tensor, and our metadata
        Path ck = service.lastCheckpoint().orElseThrow();
        Path dict = ck.resolve(CheckpointCoordinator.DICTIONARY_DIR);
        JsonNode cfg = new ObjectMapper().readTree(Files.readString(dict.resolve("cfg.json")));
        assertThat(cfg.path("architecture").asText()).isEqualTo("jumprelu");
        JsonNode meta = cfg.path("metadata");
        assertThat(meta.path("training_architecture").asText()).isEqualTo("batchtopk");
        assertThat(meta.path("l0").asDouble()).isBetween(1.0, 4.0 * Synthetic.K);
        assertThat(meta.path("num_dead_features").isIntegralNumber()).isTrue();
        assertThat(meta.path("livesae_topic").asText()).isEqualTo(topic);
        assertThat(meta.path("livesae_dictionary_version").asLong()).isEqualTo(version);
        assertThat(meta.path("livesae_offsets").path("0").asLong()).isPositive();
        assertThat(meta.path("livesae_tokens_trained").asLong()).isEqualTo(version * 8192);
        JsonNode core = meta.path("core_metrics");
        assertThat(core.path("rows").asLong()).isPositive();
        assertThat(core.path("explained_variance").asDouble()).isBetween(0.0, 1.0); // 30k tokens: early training
        assertThat(core.path("frac_alive").asDouble()).isPositive();
        assertThat(core.path("average_max_decoder_cosine_sim").asDouble()).isBetween(0.0, 1.0);
        Sae exported = Sae.load(dict);
        assertThat(exported.architecture()).isEqualTo("jumprelu");
        assertThat(exported.threshold()[0]).isPositive();
        // the live gauges carry the same figures
        assertThat(registry.get("livesae.trainer.core.explained.variance").gauge().value())
                .isEqualTo(core.path("explained_variance").asDouble());
        assertThat(service.coreMetrics()).isPresent();
        // the engine state resumes as BatchTopK with its threshold
        try (SaeTrainer resumed = SaeTrainer.load(ck.resolve(TrainingLoop.ENGINE_DIR))) {
            assertThat(resumed.architecture().kind()).isEqualTo(Architecture.Kind.BATCHTOPK);
            assertThat(resumed.selectionStats().threshold()).isPositive();
        }

        // encode-only with the export over the same topic, under another sae id
        TrainerProgress frozen = new TrainerService(TrainerOptions.builder(KAFKA.bootstrapServers(), topic)
                .encodeOnly(dict).saeId("frozen-batchtopk").dictionaryVersion(version).groupId("frozen-" + hook)
                .maxTokens(total).progressEvery(Duration.ofMillis(500)).build()).run();
        assertThat(frozen.codeBatches()).isEqualTo(RECORDS);

        List<ConsumerRecord<byte[], byte[]>> codes = KafkaSupport.readAll(KAFKA.bootstrapServers(),
                Topics.codes("synthetic", hook), 2 * RECORDS);
        assertThat(codes).hasSize(2 * RECORDS);
        Map<Long, CodeBatch> trainerCodes = new HashMap<>();
        Map<Long, CodeBatch> frozenCodes = new HashMap<>();
        try (BufferAllocator alloc = WireAllocator.root().newChildAllocator("bt-codes", 0, Long.MAX_VALUE);
             CodeBatchCodec codec = new CodeBatchCodec(alloc)) {
            for (ConsumerRecord<byte[], byte[]> rec : codes) {
                CodeBatch c = codec.decode(rec.value());
                if (c.meta().saeId().equals("frozen-batchtopk")) {
                    frozenCodes.put(c.sequenceIds()[0], c);
                } else if (c.meta().dictionaryVersion() == version) {
                    trainerCodes.put(c.sequenceIds()[0], c);
                }
            }
        }
        assertThat(frozenCodes).hasSize(RECORDS);
        assertThat(trainerCodes).as("records the trainer encoded with its last promoted dictionary").isNotEmpty();
        long firing = 0;
        for (Map.Entry<Long, CodeBatch> e : trainerCodes.entrySet()) {
            CodeBatch mine = e.getValue();
            CodeBatch theirs = frozenCodes.get(e.getKey());
            assertThat(theirs.k()).isEqualTo(mine.k()).isEqualTo(4 * Synthetic.K);
            assertThat(theirs.latentIndices()).isEqualTo(mine.latentIndices());
            assertThat(theirs.latentValues()).isEqualTo(mine.latentValues());
            for (float v : mine.latentValues()) {
                firing += v > 0 ? 1 : 0;
            }
        }
        assertThat(firing).as("the threshold lets latents fire").isPositive();
    }
}
