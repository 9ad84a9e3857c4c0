package dev.livesae.clients;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Idempotent topic creation that returns only once every partition has a leader. Shared by both broker
 * kinds, and by tools that run against any Kafka (the demo with {@code --bootstrap}).
 */
public final class TopicAdmin {

    static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final long POLL_MILLIS = 50;

    private TopicAdmin() {
    }

    /** Creates each missing topic with {@code partitions} partitions on the cluster {@code kafka} points at. */
    public static void createTopics(KafkaClientConfig kafka, List<String> names, int partitions) {
        try (Admin admin = Admin.create(kafka.admin("livesae-topics"))) {
            for (String name : names) {
                createTopic(admin, name, partitions, Map.of());
            }
        }
    }

    /** Creates one topic unless it exists, then waits for a leader on every partition. */
    public static void createTopic(Admin admin, String name, int partitions, Map<String, String> configs) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("topic name must not be blank (got '" + name + "')");
        }
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1 (got " + partitions + ") for topic " + name);
        }
        if (configs == null) {
            throw new IllegalArgumentException("configs must not be null for topic " + name + " (use Map.of())");
        }
        NewTopic topic = new NewTopic(name, Optional.of(partitions), Optional.empty()).configs(configs);
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        boolean created = false;
        while (!created) {
            try {
                await(admin.createTopics(List.of(topic)).all(), deadline);
                created = true;
            } catch (ExecutionException e) {
                if (e.getCause() instanceof TopicExistsException) {
                    created = true;
                } else if (e.getCause() instanceof RetriableException && System.nanoTime() < deadline) {
                    pause();
                } else {
                    throw new IllegalStateException("could not create topic " + name + ": " + e.getCause(), e.getCause());
                }
            }
        }
        awaitLeaders(admin, name, partitions, deadline);
    }

    private static void awaitLeaders(Admin admin, String name, int partitions, long deadline) {
        while (true) {
            try {
                TopicDescription d = await(admin.describeTopics(Set.of(name)).allTopicNames(), deadline).get(name);
                if (d.partitions().size() != partitions) {
                    throw new IllegalStateException("topic " + name + " already exists with "
                            + d.partitions().size() + " partitions, not " + partitions);
                }
                if (d.partitions().stream().map(TopicPartitionInfo::leader).allMatch(l -> l != null && !l.isEmpty())) {
                    return;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof RetriableException)) {
                    throw new IllegalStateException("could not describe topic " + name + ": " + e.getCause(), e.getCause());
                }
            }
            if (System.nanoTime() >= deadline) {
                throw new IllegalStateException("topic " + name + " had no leader for every partition within "
                        + READY_TIMEOUT);
            }
            pause();
        }
    }

    private static <T> T await(KafkaFuture<T> future, long deadline) throws ExecutionException {
        try {
            return future.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the admin client", e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("admin request timed out after " + READY_TIMEOUT, e);
        }
    }

    private static void pause() {
        try {
            Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a topic", e);
        }
    }
}
