package dev.livesae.kafka.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Brokers of their own, started directly: temp-dir cleanup, fixed ports, port clashes. */
class EmbeddedKafkaBrokerLifecycleTest {

    @TempDir
    Path tmp;

    @Test
    void closeRemovesTemporaryDataDirAndIsIdempotent() {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerOptions.defaults());
        Path dir = broker.dataDir();
        assertThat(dir.resolve(EmbeddedKafkaBroker.LOG_DIR_NAME).resolve("meta.properties")).exists();
        broker.close();
        assertThat(dir).doesNotExist();
        broker.close();
        assertThat(broker.isRunning()).isFalse();
        assertThatThrownBy(broker::restart).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void fixedPortsAreUsedAndGivenDataDirSurvivesClose() throws Exception {
        int port;
        int controllerPort;
        try (ServerSocket a = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             ServerSocket b = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = a.getLocalPort();
            controllerPort = b.getLocalPort();
        }
        Path dataDir = tmp.resolve("kept");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(new BrokerOptions(port, controllerPort, dataDir, java.util.Map.of()))) {
            assertThat(broker.bootstrapServers()).isEqualTo("127.0.0.1:" + port);
            assertThat(broker.controllerPort()).isEqualTo(controllerPort);
            broker.createTopic("lifecycle.fixed", 1);
        }
        assertThat(dataDir.resolve(EmbeddedKafkaBroker.LOG_DIR_NAME).resolve("lifecycle.fixed-0")).isDirectory();
    }

    @Test
    void takenFixedPortFailsNamingThePortAndRemovesTemporaryData() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            long tempDirsBefore = countTempDirs();
            assertThatThrownBy(() -> EmbeddedKafkaBroker.start(BrokerOptions.defaults().withPort(port)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("127.0.0.1:" + port);
            assertThat(countTempDirs()).isEqualTo(tempDirsBefore);
        }
    }

    private static long countTempDirs() throws Exception {
        try (var s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.filter(p -> p.getFileName().toString().startsWith("livesae-kafka-")).count();
        }
    }
}
