package dev.livesae.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PublisherOptionsTest {

    final PublisherOptions defaults = PublisherOptions.defaults("127.0.0.1:9092", "m");

    @Test
    void rejectsOutOfRangeValuesNamingTheField() {
        assertThatThrownBy(() -> defaults.withBatching(0, 900_000, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("batchRows").hasMessageContaining("got 0");
        assertThatThrownBy(() -> defaults.withBatching(10, 10, Duration.ZERO)).hasMessageContaining("batchBytes").hasMessageContaining("got 10");
        assertThatThrownBy(() -> defaults.withBatching(10, 900_000, Duration.ofMillis(-1))).hasMessageContaining("linger");
        assertThatThrownBy(() -> defaults.withBuffer(5, OnFull.DROP)).hasMessageContaining("maxBufferedBytes").hasMessageContaining("got 5");
        assertThatThrownBy(() -> defaults.withTopics(true, 0)).hasMessageContaining("topicPartitions");
        assertThatThrownBy(() -> PublisherOptions.defaults(" ", "m")).hasMessageContaining("bootstrapServers");
        assertThatThrownBy(() -> OnFull.parse("wait")).hasMessageContaining("block or drop").hasMessageContaining("wait");
        assertThatThrownBy(() -> Compression.parse("gzip")).hasMessageContaining("gzip");
    }

    @Test
    void kafkaPropertiesAreIdempotentAcksAllWithTheChosenCompressionAndUserTunablesOnTop() {
        Map<String, Object> p = ActivationPublisher.kafkaProperties(defaults.withCompression(Compression.LZ4)
                .withKafka(Map.of("linger.ms", "7", "client.id", "svc-a", "security.protocol", "SASL_SSL")), "id");
        assertThat(p).containsEntry("acks", "all").containsEntry("enable.idempotence", "true")
                .containsEntry("compression.type", "lz4").containsEntry("linger.ms", "7").containsEntry("client.id", "svc-a-id")
                .containsEntry("security.protocol", "SASL_SSL").containsEntry("bootstrap.servers", "127.0.0.1:9092");
        assertThat(Long.parseLong((String) p.get("buffer.memory"))).isGreaterThanOrEqualTo(defaults.maxBufferedBytes());
    }

    @Test
    void refusesAUserPropertyThatWouldWeakenDeliveryNamingIt() {
        assertThatThrownBy(() -> ActivationPublisher.kafkaProperties(defaults.withKafka(Map.of("acks", "1")), "id"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("acks=1").hasMessageContaining("acks=all");
        assertThatThrownBy(() -> new ActivationPublisher(defaults.withKafka(Map.of("enable.idempotence", "false"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("enable.idempotence");
    }
}
