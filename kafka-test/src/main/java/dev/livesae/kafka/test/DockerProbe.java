package dev.livesae.kafka.test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import org.testcontainers.DockerClientFactory;

/**
 * Whether Testcontainers can reach a Docker engine. Testcontainers' own probe logs a long ERROR when there is
 * none, so a cheap check runs first: with no DOCKER_HOST, no docker.host in ~/.testcontainers.properties and no
 * Docker socket file, there is no engine and Testcontainers is not asked.
 *
 * <p>{@code -Dlivesae.kafka.broker=embedded|container} (or env LIVESAE_KAFKA_BROKER) forces the choice.
 */
final class DockerProbe {

    static final String MODE_PROPERTY = "livesae.kafka.broker";

    private DockerProbe() {
    }

    static boolean useContainer() {
        String forced = System.getProperty(MODE_PROPERTY, System.getenv("LIVESAE_KAFKA_BROKER"));
        if (forced != null && !forced.isBlank()) {
            switch (forced.trim().toLowerCase(Locale.ROOT)) {
                case "embedded":
                    return false;
                case "container":
                    return true;
                default:
                    throw new IllegalArgumentException(MODE_PROPERTY + " must be embedded or container (got " + forced + ")");
            }
        }
        return mayHaveDocker() && DockerClientFactory.instance().isDockerAvailable();
    }

    static boolean mayHaveDocker() {
        if (System.getenv("DOCKER_HOST") != null || testcontainersConfiguresHost()) {
            return true;
        }
        String home = System.getProperty("user.home", "");
        String runtimeDir = System.getenv("XDG_RUNTIME_DIR");
        List<Path> sockets = new java.util.ArrayList<>(List.of(
                Path.of("/var/run/docker.sock"),
                Path.of(home, ".docker", "run", "docker.sock"),
                Path.of(home, ".docker", "desktop", "docker.sock"),
                Path.of(home, ".colima", "default", "docker.sock"),
                Path.of(home, ".rd", "docker.sock")));
        if (runtimeDir != null) {
            sockets.add(Path.of(runtimeDir, "docker.sock"));
            sockets.add(Path.of(runtimeDir, "podman", "podman.sock"));
        }
        return sockets.stream().anyMatch(Files::exists);
    }

    private static boolean testcontainersConfiguresHost() {
        Path file = Path.of(System.getProperty("user.home", ""), ".testcontainers.properties");
        if (!Files.isRegularFile(file)) {
            return false;
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        } catch (IOException e) {
            return true; // let Testcontainers decide
        }
        return p.getProperty("docker.host") != null || p.getProperty("docker.client.strategy") != null;
    }
}
