package dev.livesae.kafka.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DockerProbeTest {

    private final String saved = System.getProperty(DockerProbe.MODE_PROPERTY);

    @AfterEach
    void restore() {
        if (saved == null) {
            System.clearProperty(DockerProbe.MODE_PROPERTY);
        } else {
            System.setProperty(DockerProbe.MODE_PROPERTY, saved);
        }
    }

    @Test
    void forcedModesWinOverDetection() {
        System.setProperty(DockerProbe.MODE_PROPERTY, "embedded");
        assertThat(DockerProbe.useContainer()).isFalse();
        System.setProperty(DockerProbe.MODE_PROPERTY, " Container ");
        assertThat(DockerProbe.useContainer()).isTrue();
    }

    @Test
    void rejectsUnknownModeNamingTheProperty() {
        System.setProperty(DockerProbe.MODE_PROPERTY, "zookeeper");
        assertThatThrownBy(DockerProbe::useContainer)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(DockerProbe.MODE_PROPERTY).hasMessageContaining("zookeeper");
    }
}
