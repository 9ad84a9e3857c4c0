package dev.livesae.service;

import dev.livesae.clients.TopicSettings;
import picocli.CommandLine.Option;

/**
 * Partitions and replication factor of the topics a command creates (a picocli mixin):
 * {@code --topic-partitions} and {@code --topic-replication-factor}, 0 = the broker's default
 * ({@code num.partitions}, {@code default.replication.factor}). Existing topics are never altered.
 */
public final class TopicOptions {

    @Option(names = "--topic-partitions", defaultValue = "0", paramLabel = "N",
            description = "Partitions of the topics this command creates; 0 = the broker's num.partitions (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--topic-replication-factor", defaultValue = "0", paramLabel = "R",
            description = "Replication factor of the topics this command creates; 0 = the broker's default.replication.factor "
                    + "(default: ${DEFAULT-VALUE}).")
    int replicationFactor;

    public TopicOptions() {
    }

    /** For code that builds a command's options without parsing. */
    public TopicOptions(int partitions, int replicationFactor) {
        this.partitions = partitions;
        this.replicationFactor = replicationFactor;
    }

    /**
     * The validated settings.
     *
     * @throws IllegalArgumentException naming {@code --topic-partitions} or {@code --topic-replication-factor}
     */
    public TopicSettings settings() {
        return TopicSettings.fromFlags(partitions, replicationFactor, "--topic-partitions", "--topic-replication-factor");
    }
}
