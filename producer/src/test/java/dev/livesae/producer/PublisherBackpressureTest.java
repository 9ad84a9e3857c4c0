package dev.livesae.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livesae.kafka.test.KafkaBrokerExtension;
import dev.livesae.wire.ActivationBatch;
import dev.livesae.wire.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Back-pressure made deterministic: with the broker stopped nothing is acknowledged, so the buffer
 * account only grows. With d = 8 a row is 48 bytes, a 10-row chunk 480 bytes, and a 1024-byte buffer
 * holds exactly two chunks.
 */
class PublisherBackpressureTest {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension(KafkaBrokerExtension.Mode.PER_CLASS);

    static final int D = 8;
    static final int CHUNK = 10;
    static final String HOOK = "blocks.0.hook_resid_post";

    static boolean brokerDown;

    @BeforeEach
    void brokerUp() {
        if (brokerDown) {
            KAFKA.startBroker();
            brokerDown = false;
        }
    }

    void stopBroker() {
        KAFKA.stopBroker();
        brokerDown = true;
    }

    void startBroker() {
        KAFKA.startBroker();
        brokerDown = false;
    }

    PublisherOptions options(String model, OnFull onFull) {
        return PublisherOptions.defaults(KAFKA.bootstrapServers(), model)
                .withBatching(CHUNK, PublisherOptions.DEFAULT_BATCH_BYTES, Duration.ofMillis(10))
                .withBuffer(1024, onFull)
                // nothing may time out while the broker is down
                .withKafka(Map.of("delivery.timeout.ms", "600000", "request.timeout.ms", "300000", "max.block.ms", "600000"));
    }

    static boolean publishChunk(ActivationPublisher p, int chunk) {
        long[] seq = new long[CHUNK];
        int[] pos = new int[CHUNK];
        java.util.Arrays.fill(seq, chunk);
        for (int i = 0; i < CHUNK; i++) {
            pos[i] = i;
        }
        float[] act = new float[CHUNK * D];
        java.util.Arrays.fill(act, chunk);
        return p.publish(HOOK, seq, pos, null, act);
    }

    @Test
    void blockWaitsWhileTheBrokerIsDownAndLosesNothing() throws Exception {
        String model = "bp-block";
        try (ActivationPublisher publisher = new ActivationPublisher(options(model, OnFull.BLOCK))) {
            assertThat(publishChunk(publisher, 0)).isTrue();
            assertThat(publisher.flush(Duration.ofSeconds(60))).isTrue(); // topic created, metadata known

            stopBroker();
            assertThat(publishChunk(publisher, 1)).isTrue();
            assertThat(publishChunk(publisher, 2)).isTrue();
            assertThat(publisher.bufferedBytes()).isEqualTo(2L * CHUNK * (4 * D + 16));
            CompletableFuture<Boolean> third = CompletableFuture.supplyAsync(() -> publishChunk(publisher, 3));
            awaitTrue(() -> publisher.waitingPublishers() == 1);
            assertThat(third).isNotDone(); // nothing can be acknowledged while the broker is down

            startBroker();
            assertThat(third.get(120, TimeUnit.SECONDS)).isTrue();
            assertThat(publisher.flush(Duration.ofSeconds(120))).isTrue();
            assertThat(publisher.stats().droppedRows()).isZero();
            assertThat(publisher.stats().ackedRows()).isEqualTo(4L * CHUNK);
        }
        List<ConsumerRecord<byte[], ActivationBatch>> records = TopicReader.readRows(KAFKA.bootstrapServers(), Topics.activations(model, HOOK), 4L * CHUNK);
        assertThat(TopicReader.rows(records)).isEqualTo(4L * CHUNK);
        assertThat(records).extracting(r -> r.value().sequenceIds()[0]).containsExactly(0L, 1L, 2L, 3L);
    }

    @Test
    void dropRefusesWhatDoesNotFitAndCountsIt() throws Exception {
        String model = "bp-drop";
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (ActivationPublisher publisher = new ActivationPublisher(options(model, OnFull.DROP), registry)) {
            assertThat(publishChunk(publisher, 0)).isTrue();
            assertThat(publisher.flush(Duration.ofSeconds(60))).isTrue();

            stopBroker();
            boolean[] accepted = new boolean[5];
            for (int c = 0; c < 5; c++) {
                accepted[c] = publishChunk(publisher, 1 + c);
            }
            assertThat(accepted).containsExactly(true, true, false, false, false);
            assertThat(publisher.stats().droppedRows()).isEqualTo(3L * CHUNK);
            assertThat(registry.get("livesae.producer.dropped").tag("hookpoint", HOOK).functionCounter().count()).isEqualTo(3.0 * CHUNK);
            assertThat(publisher.waitingPublishers()).isZero();

            startBroker();
            assertThat(publisher.flush(Duration.ofSeconds(120))).isTrue();
            assertThat(publisher.stats().ackedRows()).isEqualTo(3L * CHUNK);
        }
        List<ConsumerRecord<byte[], ActivationBatch>> records = TopicReader.readRows(KAFKA.bootstrapServers(), Topics.activations(model, HOOK), 3L * CHUNK);
        assertThat(records).extracting(r -> r.value().sequenceIds()[0]).containsExactly(0L, 1L, 2L);
    }

    @Test
    void closeWithTheBrokerDownWakesBlockedPublishersAndCountsUndeliveredBatches() throws Exception {
        String model = "bp-close";
        PublisherOptions options = options(model, OnFull.BLOCK).withCloseTimeout(Duration.ofMillis(500));
        ActivationPublisher publisher = new ActivationPublisher(options);
        CompletableFuture<Boolean> blocked;
        try {
            assertThat(publishChunk(publisher, 0)).isTrue();
            assertThat(publisher.flush(Duration.ofSeconds(60))).isTrue();
            stopBroker();
            assertThat(publishChunk(publisher, 1)).isTrue();
            assertThat(publishChunk(publisher, 2)).isTrue();
            blocked = CompletableFuture.supplyAsync(() -> publishChunk(publisher, 3));
            awaitTrue(() -> publisher.waitingPublishers() == 1);
        } finally {
            publisher.close();
        }
        assertThat(blocked).failsWithin(Duration.ofSeconds(30)).withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withCauseInstanceOf(IllegalStateException.class).withMessageContaining("closed");
        PublisherStats stats = publisher.stats();
        assertThat(stats.ackedRows()).isEqualTo(CHUNK);
        assertThat(stats.failedBatches()).isEqualTo(2); // chunks 1 and 2, abandoned by close(): failed, not silently lost
        assertThat(stats.bufferedBytes()).isZero();
        assertThatThrownBy(() -> publishChunk(publisher, 4)).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    static void awaitTrue(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not reached within 60 s");
            }
            Thread.sleep(20);
        }
    }
}
