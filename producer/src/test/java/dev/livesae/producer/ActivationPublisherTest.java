package dev.livesae.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livesae.kafka.test.KafkaBrokerExtension;
import dev.livesae.wire.ActivationBatch;
import dev.livesae.wire.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ActivationPublisherTest {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    static final int D = 24;

    @Test
    void roundTripsRowsThroughKafkaInOrderWithMetersAndBatching() {
        String model = "roundtrip-model";
        String hook = "blocks.1.hook_resid_post";
        PublisherOptions options = PublisherOptions.defaults(KAFKA.bootstrapServers(), model)
                .withBatching(100, PublisherOptions.DEFAULT_BATCH_BYTES, Duration.ofSeconds(30))
                .withCompression(Compression.LZ4);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        int total = 1037;
        float[] all = new float[total * D];
        new Random(7).ints(all.length).forEach(new java.util.function.IntConsumer() {
            int i;

            @Override
            public void accept(int v) {
                all[i++] = v / (float) Integer.MAX_VALUE;
            }
        });
        long[] seq = new long[total];
        int[] pos = new int[total];
        int[] tok = new int[total];
        String instance;
        try (ActivationPublisher publisher = new ActivationPublisher(options, registry)) {
            instance = publisher.instanceId();
            int at = 0;
            int call = 0;
            while (at < total) {
                int n = Math.min(total - at, 1 + (call++ * 37) % 250); // uneven calls, some larger than a batch
                long first = publisher.sequenceIds().next(1);
                for (int i = 0; i < n; i++) {
                    seq[at + i] = first;
                    pos[at + i] = i;
                    tok[at + i] = 1000 + at + i;
                }
                float[] block = java.util.Arrays.copyOfRange(all, at * D, (at + n) * D);
                assertThat(publisher.publish(hook, java.util.Arrays.copyOfRange(seq, at, at + n),
                        java.util.Arrays.copyOfRange(pos, at, at + n), java.util.Arrays.copyOfRange(tok, at, at + n), block)).isTrue();
                at += n;
            }
            assertThat(publisher.flush(Duration.ofSeconds(60))).isTrue();
            PublisherStats stats = publisher.stats();
            assertThat(stats.acceptedRows()).isEqualTo(total);
            assertThat(stats.ackedRows()).isEqualTo(total);
            assertThat(stats.ackedBatches()).isGreaterThanOrEqualTo(11); // ceil(1037 / 100); flush seals the rest
            assertThat(stats.bufferedBytes()).isZero();
            assertThat(registry.get("livesae.producer.tokens").tag("hookpoint", hook).functionCounter().count()).isEqualTo(total);
            assertThat(registry.get("livesae.producer.batches").tag("hookpoint", hook).functionCounter().count())
                    .isEqualTo(stats.ackedBatches());
            assertThat(registry.get("livesae.producer.bytes").tag("hookpoint", hook).functionCounter().count())
                    .isGreaterThan(4.0 * total * D);
            assertThat(registry.get("livesae.producer.send.latency").tag("hookpoint", hook).timer().count())
                    .isEqualTo(stats.ackedBatches());
            assertThat(registry.get("livesae.producer.dropped").tag("hookpoint", hook).functionCounter().count()).isZero();
        }

        List<ConsumerRecord<byte[], ActivationBatch>> records = TopicReader.readRows(KAFKA.bootstrapServers(), Topics.activations(model, hook), total);
        assertThat(TopicReader.rows(records)).isEqualTo(total);
        int r = 0;
        for (ConsumerRecord<byte[], ActivationBatch> rec : records) {
            ActivationBatch b = rec.value();
            assertThat(new String(rec.key(), StandardCharsets.UTF_8)).isEqualTo(instance);
            assertThat(b.meta().model()).isEqualTo(model);
            assertThat(b.meta().hookpoint()).isEqualTo(hook);
            assertThat(b.dIn()).isEqualTo(D);
            assertThat(b.rows()).isLessThanOrEqualTo(100);
            float[] row = new float[D];
            for (int i = 0; i < b.rows(); i++, r++) {
                assertThat(b.sequenceIds()[i]).isEqualTo(seq[r]);
                assertThat(b.positions()[i]).isEqualTo(pos[r]);
                assertThat(b.tokenId(i)).isEqualTo(tok[r]);
                b.row(i, row);
                assertThat(row).containsExactly(java.util.Arrays.copyOfRange(all, r * D, (r + 1) * D));
            }
        }
    }

    @Test
    void lingerSendsAPartialBatchWithoutFlushAndNullTokenIdsStayNull() {
        String model = "linger-model";
        String hook = "hook_embed";
        PublisherOptions options = PublisherOptions.defaults(KAFKA.bootstrapServers(), model)
                .withBatching(1000, PublisherOptions.DEFAULT_BATCH_BYTES, Duration.ofMillis(20));
        try (ActivationPublisher publisher = new ActivationPublisher(options)) {
            publisher.publish(hook, new long[] {5, 5, 5}, new int[] {0, 1, 2}, null, new float[3 * D]);
            // no flush, no close: only the linger timer can have sealed this batch
            List<ConsumerRecord<byte[], ActivationBatch>> records = TopicReader.readRows(KAFKA.bootstrapServers(), Topics.activations(model, hook), 3);
            assertThat(TopicReader.rows(records)).isEqualTo(3);
            assertThat(records.get(0).value().tokenIds()).isNull();
            assertThat(records.get(0).value().positions()).containsExactly(0, 1, 2);
        }
    }

    @Test
    void refusesInconsistentArraysAndChangingWidth() {
        PublisherOptions options = PublisherOptions.defaults(KAFKA.bootstrapServers(), "bad-input-model");
        try (ActivationPublisher publisher = new ActivationPublisher(options)) {
            assertThatThrownBy(() -> publisher.publish("h", new long[2], new int[3], null, new float[2 * D]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positions");
            assertThatThrownBy(() -> publisher.publish("h", new long[2], new int[2], null, new float[2 * D + 1]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("activations length " + (2 * D + 1));
            publisher.publish("h", new long[2], new int[2], null, new float[2 * D]);
            assertThatThrownBy(() -> publisher.publish("h", new long[1], new int[1], null, new float[D + 1]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("d is " + (D + 1));
        }
    }

    @Test
    void sequenceIdsCarryTheProducerIdInTheHighBits() {
        SequenceIds ids = new SequenceIds(0xBEEF);
        long a = ids.next(10);
        long b = ids.next();
        assertThat(b - a).isEqualTo(10);
        assertThat(a).isPositive();
        assertThat(SequenceIds.producerIdOf(a)).isEqualTo(0xBEEF);
        assertThat(a & SequenceIds.MAX_COUNTER).isZero();
        assertThatThrownBy(() -> new SequenceIds(70000)).hasMessageContaining("producerId").hasMessageContaining("70000");
    }
}
