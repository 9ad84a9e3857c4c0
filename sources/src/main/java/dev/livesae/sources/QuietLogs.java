package dev.livesae.sources;

import java.util.Map;

/**
 * Command-line runs: Kafka clients log their full configuration at INFO (100+ lines per client) and DJL
 * warns about missing CUDA; both drown the progress lines. slf4j-simple reads
 * {@code org.slf4j.simpleLogger.log.<name>} when a logger is created, so this must run before those
 * classes load. Values already set (e.g. {@code -Dorg.slf4j.simpleLogger.log.org.apache.kafka=info}) win.
 */
public final class QuietLogs {
    private static final Map<String, String> LEVELS = Map.of("org.apache.kafka", "warn", "ai.djl.util.cuda", "error");

    private QuietLogs() {
    }

    public static void apply() {
        LEVELS.forEach((logger, level) -> System.getProperties().putIfAbsent("org.slf4j.simpleLogger.log." + logger, level));
    }
}
