package dev.livesae.clients;

import dev.livesae.clients.KafkaUnavailableException.Failure;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.config.ConfigException;

/**
 * Asks the cluster whether it is there before a command starts its real clients, so that an unreachable,
 * refusing or misconfigured cluster is reported in one line within a bounded time instead of clients that
 * retry silently (or a stack trace minutes later).
 */
public final class ClusterCheck {
    /** How long a command waits for the cluster at start before it says so. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(15);

    private ClusterCheck() {
    }

    /**
     * Returns once a broker answered a metadata request with the user's client configuration.
     *
     * @throws KafkaUnavailableException with a one-line message naming the bootstrap address and what failed
     */
    public static void awaitCluster(KafkaClientConfig kafka, Duration timeout) {
        int ms = (int) Math.max(1, timeout.toMillis());
        Map<String, Object> conf = kafka.client("cluster check", "livesae-check", Map.of(
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, ms,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, ms), Map.of());
        Admin admin;
        try {
            admin = Admin.create(conf);
        } catch (KafkaException e) {
            throw explain(kafka, e, timeout);
        }
        try (admin) {
            admin.describeCluster().nodes().get(ms, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaUnavailableException(Failure.CONNECT, "Kafka at " + kafka.bootstrap() + ": interrupted while connecting", e);
        } catch (ExecutionException e) {
            throw explain(kafka, e.getCause(), timeout);
        } catch (TimeoutException e) {
            throw explain(kafka, e, timeout);
        }
    }

    /** The one-line explanation of a client failure against the cluster at {@code kafka}. */
    public static KafkaUnavailableException explain(KafkaClientConfig kafka, Throwable error, Duration timeout) {
        String at = "Kafka at " + kafka.bootstrap() + ": ";
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof KafkaUnavailableException k) {
                return k;
            }
            if (t instanceof AuthenticationException) {
                return new KafkaUnavailableException(Failure.AUTHENTICATION, at + "authentication failed: " + firstLine(t), error);
            }
            if (t instanceof TopicAuthorizationException tae) {
                return new KafkaUnavailableException(Failure.AUTHORIZATION, at + "not authorized for topic(s) "
                        + tae.unauthorizedTopics() + ": " + firstLine(t), error);
            }
            if (t instanceof AuthorizationException) {
                return new KafkaUnavailableException(Failure.AUTHORIZATION, at + "not authorized: " + firstLine(t), error);
            }
            if (t instanceof UnknownTopicOrPartitionException) {
                return new KafkaUnavailableException(Failure.MISSING_TOPIC, at + "missing topic: " + firstLine(t), error);
            }
            if (t instanceof ConfigException) {
                return new KafkaUnavailableException(Failure.CONFIGURATION, at + "bad client configuration: " + firstLine(t), error);
            }
        }
        return new KafkaUnavailableException(Failure.CONNECT, at + "no broker answered within " + timeout.toSeconds()
                + " s (is the address right, is the broker up, does security.protocol match the listener?)", error);
    }

    private static String firstLine(Throwable t) {
        String m = String.valueOf(t.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
