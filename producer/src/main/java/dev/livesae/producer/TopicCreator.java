package dev.livesae.producer;

import dev.livesae.clients.KafkaClientConfig;
import dev.livesae.clients.TopicAdmin;
import dev.livesae.clients.TopicSettings;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates each activation topic once per run if asked to (the broker's default replication factor);
 * failures are logged and the send goes ahead, so a cluster where the publisher may not create topics still
 * works when they exist. Used by the sender thread only.
 */
final class TopicCreator {
    private static final Logger log = LoggerFactory.getLogger(TopicCreator.class);

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
            // the client layer's one topic helper: partitions as configured, the broker's replication factor
            TopicAdmin.createTopic(admin, topic, new TopicSettings(Optional.of(partitions), Optional.empty()), Map.of());
        } catch (RuntimeException e) {
            log.warn("could not create topic {}: {}", topic, e.getMessage());
        }
    }
}
