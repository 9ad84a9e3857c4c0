package dev.livesae.kafka.local;

import java.util.Map;

/**
 * Kafka 4.x logs through SLF4J (slf4j-simple here) at INFO, several hundred lines per broker start.
 * slf4j-simple reads {@code org.slf4j.simpleLogger.log.<name>} system properties when each logger is
 * created, so setting them before Kafka's classes load quiets the broker. Values already set win,
 * e.g. {@code -Dorg.slf4j.simpleLogger.log.kafka=info} brings the broker's logs back.
 */
public final class QuietLogging {

    private static final Map<String, String> LEVELS = Map.of(
            "kafka", "warn",
            "state.change.logger", "warn",
            "org.apache.kafka", "warn",
            "org.testcontainers", "warn",
            "com.github.dockerjava", "warn",
            "tc", "warn");

    private QuietLogging() {
    }

    public static void apply() {
        LEVELS.forEach((logger, level) -> {
            String key = "org.slf4j.simpleLogger.log." + logger;
            if (System.getProperty(key) == null) {
                System.setProperty(key, level);
            }
        });
    }
}
