package dev.livesae.kafka.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BrokerOptionsTest {

    @Test
    void defaultsAreEphemeralPortsTemporaryDirAndNoOverrides() {
        BrokerOptions d = BrokerOptions.defaults();
        assertThat(d.port()).isZero();
        assertThat(d.controllerPort()).isZero();
        assertThat(d.dataDir()).isNull();
        assertThat(d.overrides()).isEmpty();
    }

    @Test
    void rejectsPortsOutsideRangeNamingTheField() {
        assertThatThrownBy(() -> new BrokerOptions(65536, 0, null, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port").hasMessageContaining("65536");
        assertThatThrownBy(() -> new BrokerOptions(0, -1, null, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("controllerPort").hasMessageContaining("-1");
    }

    @Test
    void rejectsSameFixedPortForClientsAndController() {
        assertThatThrownBy(() -> new BrokerOptions(9092, 9092, null, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("controllerPort must differ");
    }

    @Test
    void rejectsOverridesOfTopologyKeys() {
        assertThatThrownBy(() -> BrokerOptions.defaults().withOverride("listeners", "PLAINTEXT://:1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("listeners");
        assertThatThrownBy(() -> BrokerOptions.defaults().withOverride("node.id", "2"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("node.id");
        Map<String, String> withNull = new HashMap<>();
        withNull.put("num.partitions", null);
        assertThatThrownBy(() -> new BrokerOptions(0, 0, null, withNull))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("num.partitions");
        assertThatThrownBy(() -> new BrokerOptions(0, 0, null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overrides");
    }

    @Test
    void overridesAreCopiedAndWithersKeepOtherFields() {
        Map<String, String> m = new HashMap<>(Map.of("num.partitions", "3"));
        BrokerOptions o = new BrokerOptions(0, 0, null, m);
        m.put("num.partitions", "9");
        assertThat(o.overrides()).containsEntry("num.partitions", "3");
        BrokerOptions o2 = o.withPort(19092).withControllerPort(19093).withDataDir(Path.of("/tmp/x"))
                .withOverride("log.retention.ms", "1000");
        assertThat(o2).isEqualTo(new BrokerOptions(19092, 19093, Path.of("/tmp/x"),
                Map.of("num.partitions", "3", "log.retention.ms", "1000")));
    }

    @Test
    void overridesWinOverBrokerDefaults() {
        Map<String, String> p = KraftProperties.build(1, 2, Path.of("/d"), Map.of("auto.create.topics.enable", "true"));
        assertThat(p).containsEntry("auto.create.topics.enable", "true")
                .containsEntry("offsets.topic.replication.factor", "1")
                .containsEntry("transaction.state.log.min.isr", "1")
                .containsEntry("controller.quorum.voters", "1@127.0.0.1:2")
                .containsEntry("advertised.listeners", "PLAINTEXT://127.0.0.1:1");
    }
}
