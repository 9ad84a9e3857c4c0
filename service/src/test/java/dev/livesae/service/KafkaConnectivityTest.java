package dev.livesae.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livesae.clients.KafkaClientConfig;
import dev.livesae.kafka.test.KafkaBrokerExtension;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class KafkaConnectivityTest {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @Test
    void gaugeIsOneForAReachableClusterWithComponentTagAndDescription() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (KafkaConnectivity c = KafkaConnectivity.start(KAFKA.clientConfig(), "trainer", registry, Duration.ofMillis(500))) {
            Gauge g = registry.get(KafkaConnectivity.METER).tag("component", "trainer").gauge();
            assertThat(g.getId().getDescription()).isNotBlank();
            await(() -> g.value() == 1.0);
            assertThat(c.connected()).isTrue();
            assertThat(c.statusSuffix()).isEmpty();
        }
    }

    @Test
    void gaugeIsZeroAndTheStatusNamesTheAddressWhereNothingAnswers() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (KafkaConnectivity c = KafkaConnectivity.start(KafkaClientConfig.of("127.0.0.1:1"), "monitor", registry, Duration.ofMillis(500))) {
            Gauge g = registry.get(KafkaConnectivity.METER).tag("component", "monitor").gauge();
            await(() -> g.value() == 0.0);
            assertThat(c.connected()).isFalse();
            assertThat(c.statusSuffix()).contains("Kafka at 127.0.0.1:1").contains("UNREACHABLE for");
        }
    }

    @Test
    void rejectsABadComponentOrInterval() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        assertThatThrownBy(() -> KafkaConnectivity.start(KAFKA.clientConfig(), "Trainer X", registry, Duration.ofSeconds(1)))
                .hasMessageContaining("component").hasMessageContaining("Trainer X");
        assertThatThrownBy(() -> KafkaConnectivity.start(KAFKA.clientConfig(), "trainer", registry, Duration.ofMillis(10)))
                .hasMessageContaining("interval must be >= 100 ms");
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within 60 s").isLessThan(deadline);
            Thread.sleep(50);
        }
    }
}
