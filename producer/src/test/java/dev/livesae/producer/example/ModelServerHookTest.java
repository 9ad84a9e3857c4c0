package dev.livesae.producer.example;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livesae.kafka.test.KafkaBrokerExtension;
import dev.livesae.kafka.test.TopicRecords;
import dev.livesae.wire.ActivationBatch;
import dev.livesae.wire.ActivationBatchDeserializer;
import dev.livesae.wire.DecodeLimits;
import dev.livesae.wire.Topics;
import dev.livesae.wire.WireAllocator;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The embedding example of docs/producer.md runs against a real broker, and the doc shows exactly this code. */
class ModelServerHookTest {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @Test
    void publishesEveryRequestsRowsWithItsTokensAndPositions() {
        int d = 16;
        int[][] requests = {{101, 7592, 2088, 102}, {101, 2023, 102}};
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (ModelServerHook hook = new ModelServerHook(KAFKA.bootstrapServers(), Map.of("client.id", "model-server-7"), registry)) {
            for (int[] tokens : requests) {
                float[] x = new float[tokens.length * d];
                for (int i = 0; i < x.length; i++) {
                    x[i] = tokens[i / d] + (i % d) / 100f; // each row carries its token id, so rows can be told apart
                }
                assertThat(hook.onForward(tokens, x)).isTrue();
            }
            assertThat(hook.flush(Duration.ofSeconds(60))).isTrue();
        }
        assertThat(registry.get("livesae.producer.tokens").tags("hookpoint", "blocks.6.hook_resid_post").functionCounter().count())
                .isEqualTo(7.0);

        List<ConsumerRecord<byte[], ActivationBatch>> got = TopicRecords.readUntil(KAFKA.bootstrapServers(),
                Topics.activations("my-model", "blocks.6.hook_resid_post"), IsolationLevel.READ_COMMITTED,
                new ByteArrayDeserializer(), new ActivationBatchDeserializer(WireAllocator.root(), DecodeLimits.defaults()),
                records -> records.stream().mapToInt(r -> r.value().rows()).sum() >= 7);
        assertThat(got.stream().mapToInt(r -> r.value().rows()).sum()).isEqualTo(7);
        ActivationBatch first = got.get(0).value();
        assertThat(first.meta().dIn()).isEqualTo(d);
        int row = 0;
        long previousSequence = -1;
        for (ConsumerRecord<byte[], ActivationBatch> r : got) {
            ActivationBatch b = r.value();
            for (int i = 0; i < b.rows(); i++, row++) {
                int request = row < 4 ? 0 : 1;
                int pos = row < 4 ? row : row - 4;
                assertThat(b.positions()[i]).isEqualTo(pos);
                assertThat(b.tokenIds()[i]).isEqualTo(requests[request][pos]);
                assertThat(b.activations()[i * d]).isEqualTo((float) requests[request][pos]);
                if (pos == 0) {
                    assertThat(b.sequenceIds()[i]).isGreaterThan(previousSequence);
                    previousSequence = b.sequenceIds()[i];
                } else {
                    assertThat(b.sequenceIds()[i]).isEqualTo(previousSequence);
                }
            }
        }
    }

    @Test
    void theProducerDocShowsThisExampleVerbatim() throws Exception {
        Path root = Path.of("").toAbsolutePath();
        Path source = root.resolve("src/test/java/dev/livesae/producer/example/ModelServerHook.java");
        Path doc = root.resolve("../docs/producer.md").normalize();
        String code = Files.readString(source, StandardCharsets.UTF_8);
        String body = code.substring(code.indexOf("import "));
        assertThat(Files.readString(doc, StandardCharsets.UTF_8)).as("docs/producer.md embeds ModelServerHook.java from its imports on")
                .contains(body.strip());
    }
}
