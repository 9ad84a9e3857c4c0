package dev.livesae.monitor;

import dev.livesae.clients.TopicAdmin;
import dev.livesae.clients.TopicSettings;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the topics the monitor writes before it first writes to them (brokers here run with
 * {@code auto.create.topics.enable=false}; windows and dead letters are named after what arrives).
 */
public interface TopicProvisioner {
    /** For {@code TopologyTestDriver} and brokers that auto-create. */
    TopicProvisioner NONE = topics -> {
    };

    /** Makes sure {@code topics} exist; called once per topic from the stream thread. */
    void ensure(Set<String> topics);

    /** Creates missing topics with the broker's partition count and replication factor and {@code configs}. */
    static TopicProvisioner admin(Admin admin, Map<String, String> configs) {
        return admin(admin, TopicSettings.brokerDefaults(), configs);
    }

    /**
     * Creates missing topics with {@code settings} (partitions, replication factor; empty = the broker's default)
     * and {@code configs}, through the one topic helper of the client layer.
     */
    static TopicProvisioner admin(Admin admin, TopicSettings settings, Map<String, String> configs) {
        Logger log = LoggerFactory.getLogger(TopicProvisioner.class);
        Set<String> done = new HashSet<>();
        return topics -> {
            synchronized (done) {
                for (String t : topics) {
                    if (!done.add(t)) {
                        continue;
                    }
                    try {
                        TopicAdmin.createTopic(admin, t, settings, configs);
                        log.debug("topic {} ready ({})", t, settings);
                    } catch (RuntimeException e) {
                        done.remove(t);
                        throw e;
                    }
                }
            }
        };
    }
}
