package dev.livesae.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class KafkaMeterNamesTest {

    @Test
    void dropsNanosecondMetersRenamesConnectionCountAndAddsDescriptions() {
        SimpleMeterRegistry r = new SimpleMeterRegistry();
        r.config().meterFilter(new KafkaMeterNames());
        Gauge.builder("kafka.consumer.io.time.ns.total", () -> 1).register(r);
        Gauge.builder("kafka.consumer.connection.count", () -> 2).register(r);
        Gauge.builder("kafka.producer.node.request.latency.avg", () -> 3).register(r);
        Gauge.builder("livesae.monitor.drift.psi", () -> 4).description("kept").register(r);

        assertThat(r.find("kafka.consumer.io.time.ns.total").gauge()).isNull();
        assertThat(r.get("kafka.consumer.connections").gauge().value()).isEqualTo(2.0);
        assertThat(r.get("kafka.producer.node.request.latency.avg").gauge().getId().getDescription())
                .isEqualTo("Kafka client metric kafka.producer.node.request.latency.avg");
        assertThat(r.get("livesae.monitor.drift.psi").gauge().getId().getDescription()).isEqualTo("kept");
    }
}
