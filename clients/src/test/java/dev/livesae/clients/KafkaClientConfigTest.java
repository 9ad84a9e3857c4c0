package dev.livesae.clients;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaClientConfigTest {

    @Test
    void layersTunableDefaultsUnderUserPropertiesUnderOwnedOnes() {
        KafkaClientConfig c = KafkaClientConfig.of("k1:9092,k2:9092", Map.of("linger.ms", "20", "security.protocol", "SSL"));
        Map<String, Object> p = c.client("test producer", "livesae-x", Map.of("linger.ms", "5", "batch.size", "1000"),
                Map.of("acks", "all"));
        assertThat(p).containsEntry("bootstrap.servers", "k1:9092,k2:9092").containsEntry("linger.ms", "20")
                .containsEntry("batch.size", "1000").containsEntry("acks", "all").containsEntry("security.protocol", "SSL")
                .containsEntry("client.id", "livesae-x");
    }

    @Test
    void userClientIdBecomesThePrefixOfEveryClientId() {
        KafkaClientConfig c = KafkaClientConfig.of("k:1", Map.of("client.id", "acme"));
        assertThat(c.admin("livesae-admin")).containsEntry("client.id", "acme-livesae-admin");
        assertThat(c.client("c", "livesae-trainer-t", Map.of(), Map.of())).containsEntry("client.id", "acme-livesae-trainer-t");
    }

    @Test
    void refusesADifferingOwnedPropertyNamingItButAcceptsTheSameValue() {
        KafkaClientConfig bad = KafkaClientConfig.of("k:1", Map.of("enable.idempotence", "false"));
        assertThatThrownBy(() -> bad.client("publisher", "id", Map.of(), Map.of("enable.idempotence", "true")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("enable.idempotence=false").hasMessageContaining("publisher").hasMessageContaining("enable.idempotence=true");
        KafkaClientConfig same = KafkaClientConfig.of("k:1", Map.of("acks", "ALL"));
        assertThat(same.client("publisher", "id", Map.of(), Map.of("acks", "all"))).containsEntry("acks", "all");
    }

    @Test
    void bootstrapComesFromTheFlagOrElseTheProperties() {
        assertThat(KafkaClientConfig.of(null, Map.of("bootstrap.servers", "b:9093")).bootstrap()).isEqualTo("b:9093");
        assertThat(KafkaClientConfig.of("a:9092", Map.of("bootstrap.servers", "b:9093")).bootstrap()).isEqualTo("a:9092");
        assertThat(KafkaClientConfig.of("a:9092", Map.of("bootstrap.servers", "b:9093")).userProperties()).doesNotContainKey("bootstrap.servers");
        assertThatThrownBy(() -> KafkaClientConfig.of(null, Map.of())).hasMessageContaining("--bootstrap");
        assertThatThrownBy(() -> KafkaClientConfig.of("localhost", Map.of())).hasMessageContaining("--bootstrap").hasMessageContaining("localhost");
        assertThatThrownBy(() -> KafkaClientConfig.of("h:99999", Map.of())).hasMessageContaining("--bootstrap");
    }

    @Test
    void loadsTheFileThenKeyValuesWhichWin(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("client.properties");
        Files.writeString(f, "bootstrap.servers=f:9092\nsasl.mechanism=SCRAM-SHA-512\nrequest.timeout.ms=1000\n");
        KafkaClientConfig c = KafkaClientConfig.load(null, f, List.of("request.timeout.ms=2000", "client.rack=r1"));
        assertThat(c.bootstrap()).isEqualTo("f:9092");
        assertThat(c.userProperties()).containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("request.timeout.ms", "2000").containsEntry("client.rack", "r1");
        assertThatThrownBy(() -> KafkaClientConfig.load("a:1", dir.resolve("missing"), List.of()))
                .hasMessageContaining("--kafka-config").hasMessageContaining("missing");
        assertThatThrownBy(() -> KafkaClientConfig.load("a:1", null, List.of("novalue")))
                .hasMessageContaining("--kafka-property").hasMessageContaining("novalue");
        assertThatThrownBy(() -> KafkaClientConfig.load("a:1", null, List.of("=x")))
                .hasMessageContaining("--kafka-property");
    }

    @Test
    void neverShowsSecretValues() {
        KafkaClientConfig c = KafkaClientConfig.of("k:1", Map.of(
                "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"hunter2\";",
                "ssl.keystore.password", "hunter2", "ssl.key.password", "hunter2", "ssl.truststore.location", "/etc/ts.jks",
                "basic.auth.user.info", "u:hunter2", "sasl.oauthbearer.token.endpoint.url", "https://idp/token"));
        assertThat(c.toString()).doesNotContain("hunter2").contains("ssl.truststore.location=/etc/ts.jks")
                .contains("sasl.jaas.config=[hidden]");
        assertThat(KafkaClientConfig.masked(c.admin("a")).toString()).doesNotContain("hunter2");
        KafkaClientConfig refused = KafkaClientConfig.of("k:1", Map.of("sasl.jaas.config", "secret-stuff"));
        assertThatThrownBy(() -> refused.client("x", "id", Map.of(), Map.of("sasl.jaas.config", "ours")))
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("secret-stuff"));
    }

    @Test
    void clientPropertiesPrintMaskedButCompareAsMaps() {
        Map<String, String> p = ClientProperties.of(Map.of("ssl.keystore.password", "hunter2", "client.rack", "r1"));
        assertThat(p.toString()).doesNotContain("hunter2").contains("client.rack=r1");
        assertThat(p).isEqualTo(Map.of("ssl.keystore.password", "hunter2", "client.rack", "r1"));
        assertThat(p.get("ssl.keystore.password")).isEqualTo("hunter2");
    }
}
