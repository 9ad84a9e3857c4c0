package dev.livesae.monitor;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
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
 * Creates the topics the monitor writes before it first writes to them (brokers here run with
 * {@code auto.create.topics.enable=false}; windows and dead letters are named after what arrives).
 */
public interface TopicProvisioner {
    /** For {@code TopologyTestDriver} and brokers that auto-create. */
    TopicProvisioner NONE = topics -> {
    };

    /** Makes sure {@code topics} exist; called once per topic from the stream thread. */
    void ensure(Set<String> topics);

    /** Creates missing topics with one partition, the broker's replication factor and {@code configs}. */
    static TopicProvisioner admin(Admin admin, Map<String, String> configs) {
        Logger log = LoggerFactory.getLogger(TopicProvisioner.class);
        Set<String> done = new HashSet<>();
        return topics -> {
            synchronized (done) {
                for (String t : topics) {
                    if (!done.add(t)) {
                        continue;
                    }
                    try {
                        admin.createTopics(List.of(new NewTopic(t, Optional.of(1), Optional.empty()).configs(configs)))
                                .all().get(30, TimeUnit.SECONDS);
                        log.info("created topic {}", t);
                    } catch (ExecutionException e) {
                        if (!(e.getCause() instanceof TopicExistsException)) {
                            done.remove(t);
                            throw new IllegalStateException("cannot create topic " + t, e.getCause());
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted creating topic " + t, e);
                    } catch (TimeoutException e) {
                        done.remove(t);
                        throw new IllegalStateException("timed out creating topic " + t, e);
                    }
                }
            }
        };
    }
}
