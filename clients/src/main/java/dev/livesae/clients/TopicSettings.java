package dev.livesae.clients;

import java.util.Optional;

/**
 * Partitions and replication factor of a topic livesae creates. Empty means the broker's default
 * ({@code num.partitions}, {@code default.replication.factor}), which is what a production cluster is
 * configured for; a value is used as given.
 *
 * @param partitions        partitions, 1..100000, or empty for the broker's default
 * @param replicationFactor replicas per partition, 1..32767, or empty for the broker's default
 */
public record TopicSettings(Optional<Integer> partitions, Optional<Short> replicationFactor) {

    public TopicSettings {
        if (partitions == null || replicationFactor == null) {
            throw new IllegalArgumentException("partitions and replicationFactor must not be null (use Optional.empty())");
        }
        partitions.ifPresent(p -> {
            if (p < 1 || p > 100_000) {
                throw new IllegalArgumentException("topic partitions must be in [1, 100000] (got " + p + ")");
            }
        });
        replicationFactor.ifPresent(r -> {
            if (r < 1) {
                throw new IllegalArgumentException("topic replication factor must be in [1, 32767] (got " + r + ")");
            }
        });
    }

    /** The broker decides both. */
    public static TopicSettings brokerDefaults() {
        return new TopicSettings(Optional.empty(), Optional.empty());
    }

    /**
     * From command-line values where 0 means "the broker's default".
     *
     * @throws IllegalArgumentException naming {@code partitionsFlag} / {@code replicationFlag}
     */
    public static TopicSettings fromFlags(int partitions, int replicationFactor, String partitionsFlag, String replicationFlag) {
        if (partitions < 0 || partitions > 100_000) {
            throw new IllegalArgumentException(partitionsFlag + " must be 0 (the broker's num.partitions) or in [1, 100000] (got "
                    + partitions + ")");
        }
        if (replicationFactor < 0 || replicationFactor > Short.MAX_VALUE) {
            throw new IllegalArgumentException(replicationFlag + " must be 0 (the broker's default.replication.factor) or in "
                    + "[1, 32767] (got " + replicationFactor + ")");
        }
        return new TopicSettings(partitions == 0 ? Optional.empty() : Optional.of(partitions),
                replicationFactor == 0 ? Optional.empty() : Optional.of((short) replicationFactor));
    }

    /** The same replication factor with a fixed partition count (e.g. codes topics follow their input). */
    public TopicSettings withPartitions(int count) {
        return new TopicSettings(Optional.of(count), replicationFactor);
    }

    @Override
    public String toString() {
        return "partitions=" + partitions.map(String::valueOf).orElse("broker default")
                + ", replication.factor=" + replicationFactor.map(String::valueOf).orElse("broker default");
    }
}
