package dev.livesae.producer;

import dev.livesae.clients.KafkaClientConfig;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates each activation topic once per run if asked to (the broker's default replication factor);
 * failures are logged and the send goes ahead, so a cluster where the publisher may not create topics still
 * works when they exist. Used by the sender thread only.
 */
final class TopicCreator {
    private static final Logger log = LoggerFactory.getLogger(TopicCreator.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final KafkaClientConfig kafka;
    private final String clientId;
    private final boolean enabled;
    private final int partitions;
    private final Set<String> done = new HashSet<>();

    TopicCreator(KafkaClientConfig kafka, String clientId, boolean enabled, int partitions) {
        this.kafka = kafka;
        this.clientId = clientId;
        this.enabled = enabled;
        this.partitions = partitions;
    }

    void ensure(String topic) {
        if (!enabled || !done.add(topic)) {
            return;
        }
        try (Admin admin = Admin.create(kafka.admin(clientId))) {
            admin.createTopics(List.of(new NewTopic(topic, Optional.of(partitions), Optional.empty())))
                    .all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            log.info("created topic {} with {} partitions", topic, partitions);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                log.warn("could not create topic {}: {}", topic, e.getCause().toString());
            }
        } catch (TimeoutException e) {
            log.warn("creating topic {} timed out after {}", topic, TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
