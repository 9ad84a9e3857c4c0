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
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.PolicyViolationException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Idempotent topic creation that returns only once every partition has a leader. Shared by both broker
 * kinds, and by tools that run against any Kafka (the demo with {@code --bootstrap}).
 */
public final class TopicAdmin {

    static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final long POLL_MILLIS = 50;

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TopicAdmin.class);
    private static final Set<String> warned = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private TopicAdmin() {
    }

    /** Creates each missing topic with {@code partitions} partitions on the cluster {@code kafka} points at. */
    public static void createTopics(KafkaClientConfig kafka, List<String> names, int partitions) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1 (got " + partitions + ")");
        }
        createTopics(kafka, names, new TopicSettings(Optional.of(partitions), Optional.empty()), Map.of());
    }

    /**
     * Creates each missing topic with {@code settings} and {@code configs} on the cluster {@code kafka} points at.
     *
     * @throws KafkaUnavailableException (one line naming the bootstrap address) if authentication fails or an
     *                                   ACL denies creating or describing a topic
     */
    public static void createTopics(KafkaClientConfig kafka, List<String> names, TopicSettings settings, Map<String, String> configs) {
        try (Admin admin = Admin.create(kafka.admin("livesae-topics"))) {
            for (String name : names) {
                try {
                    createTopic(admin, name, settings, configs);
                } catch (IllegalStateException e) {
                    throw securityFailure(kafka, name, settings, e);
                }
            }
        }
    }

    /**
     * A one-line KafkaUnavailableException if {@code e} was caused by authentication, authorization or a topic the
     * cluster refuses to create as asked (replication factor above the broker count, a policy), else {@code e}.
     */
    private static RuntimeException securityFailure(KafkaClientConfig kafka, String topic, TopicSettings settings, IllegalStateException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof AuthenticationException || t instanceof AuthorizationException) {
                return ClusterCheck.explain(kafka, t, ClusterCheck.DEFAULT_TIMEOUT, "CREATE/DESCRIBE", List.of(topic));
            }
            if (t instanceof InvalidReplicationFactorException || t instanceof InvalidPartitionsException
                    || t instanceof PolicyViolationException || t instanceof InvalidConfigurationException) {
                return new KafkaUnavailableException(KafkaUnavailableException.Failure.CONFIGURATION, "Kafka at " + kafka.bootstrap()
                        + ": cannot create topic " + topic + " with " + settings + ": " + t.getMessage(), e);
            }
        }
        return e;
    }

    /** Creates one topic unless it exists, then waits for a leader on every partition. */
    public static void createTopic(Admin admin, String name, int partitions, Map<String, String> configs) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1 (got " + partitions + ") for topic " + name);
        }
        create(admin, name, new TopicSettings(Optional.of(partitions), Optional.empty()), configs, true);
    }

    /**
     * Creates one topic unless it exists, then waits for a leader on every partition. An existing topic is never
     * altered: one with a different partition count than {@code settings} asks for is used as it is (a WARN says so),
     * since topics such as {@code telemetry.baselines} are shared by services configured differently.
     */
    public static void createTopic(Admin admin, String name, TopicSettings settings, Map<String, String> configs) {
        create(admin, name, settings, configs, false);
    }

    private static void create(Admin admin, String name, TopicSettings settings, Map<String, String> configs, boolean strict) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("topic name must not be blank (got '" + name + "')");
        }
        if (settings == null) {
            throw new IllegalArgumentException("settings must not be null for topic " + name + " (use TopicSettings.brokerDefaults())");
        }
        if (configs == null) {
            throw new IllegalArgumentException("configs must not be null for topic " + name + " (use Map.of())");
        }
        NewTopic topic = new NewTopic(name, settings.partitions(), settings.replicationFactor()).configs(configs);
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        // an existing topic is left alone: a principal without CREATE (topics made up front by operators) must work
        boolean created = exists(admin, name, deadline);
        while (!created) {
            try {
                await(admin.createTopics(List.of(topic)).all(), deadline);
                created = true;
            } catch (ExecutionException e) {
                if (e.getCause() instanceof TopicExistsException) {
                    created = true;
                } else if ((e.getCause() instanceof RetriableException || brokersRestarting(e.getCause()))
                        && System.nanoTime() < deadline) {
                    pause();
                } else {
                    throw new IllegalStateException("could not create topic " + name + ": " + e.getCause(), e.getCause());
                }
            }
        }
        awaitLeaders(admin, name, settings.partitions(), deadline, strict);
    }

    /**
     * A restarting broker is fenced for a moment and refuses creation with InvalidReplicationFactorException
     * ("All brokers are currently fenced"); that passes, a replication factor above the broker count does not.
     */
    private static boolean brokersRestarting(Throwable t) {
        return t instanceof InvalidReplicationFactorException && String.valueOf(t.getMessage()).contains("fenced");
    }

    /** True if {@code name} is described by the cluster; false if unknown or not describable (creation decides). */
    private static boolean exists(Admin admin, String name, long deadline) {
        try {
            return await(admin.describeTopics(Set.of(name)).allTopicNames(), deadline).containsKey(name);
        } catch (ExecutionException e) {
            return false;
        }
    }

    private static void awaitLeaders(Admin admin, String name, Optional<Integer> partitions, long deadline, boolean strict) {
        while (true) {
            try {
                TopicDescription d = await(admin.describeTopics(Set.of(name)).allTopicNames(), deadline).get(name);
                if (partitions.isPresent() && d.partitions().size() != partitions.get()) {
                    if (strict) {
                        throw new IllegalStateException("topic " + name + " already exists with "
                                + d.partitions().size() + " partitions, not " + partitions.get());
                    }
                    if (warned.add(name)) {
                        LOG.warn("topic {} already exists with {} partitions, not {}: used as it is (topics are never altered)",
                                name, d.partitions().size(), partitions.get());
                    }
                    partitions = Optional.empty();
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
