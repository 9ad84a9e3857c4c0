package dev.livesae.kafka.local;

import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * A real Kafka broker for JUnit 5 tests: Testcontainers' apache/kafka container where a Docker engine exists,
 * else an {@link EmbeddedKafkaBroker} in this JVM.
 *
 * <pre>{@code
 * @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();
 * }</pre>
 *
 * <p>{@link Mode#SHARED} (default) starts one broker per JVM on first use and stops it at JVM exit, so test
 * classes share it: use unique topic names and group ids. {@link Mode#PER_CLASS} starts a fresh broker before
 * the class and closes it after; use it for tests that {@link EmbeddedKafkaBroker#stop() stop} or restart the
 * broker. Register the extension in a static field (instance fields do not receive BeforeAll callbacks).
 */
public final class KafkaBrokerExtension implements BeforeAllCallback, AfterAllCallback {

    static {
        QuietLogging.apply();
    }

    /** Which broker a test class gets. */
    public enum Mode {
        /** One broker per JVM shared by every class that uses this mode. */
        SHARED,
        /** A broker of its own, started before the class's tests and closed after them. */
        PER_CLASS
    }

    /** Image for the container path; {@code -Dlivesae.kafka.image=...} overrides. */
    public static final String DEFAULT_IMAGE = "apache/kafka:4.3.1";

    private static final Logger LOG = LoggerFactory.getLogger(KafkaBrokerExtension.class);
    private static final Object SHARED_LOCK = new Object();
    private static Broker shared;

    private final Mode mode;
    private volatile Broker broker;
    private String owner;

    public KafkaBrokerExtension() {
        this(Mode.SHARED);
    }

    public KafkaBrokerExtension(Mode mode) {
        if (mode == null) {
            throw new IllegalArgumentException("mode must not be null");
        }
        this.mode = mode;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (broker != null) {
            return; // nested classes see the outer class's broker
        }
        broker = mode == Mode.SHARED ? sharedBroker() : startBroker();
        owner = context.getUniqueId();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (mode == Mode.PER_CLASS && broker != null && context.getUniqueId().equals(owner)) {
            Broker b = broker;
            broker = null;
            b.close();
        }
    }

    public Mode mode() {
        return mode;
    }

    public String bootstrapServers() {
        return broker().bootstrapServers();
    }

    /** Creates the topic (replication factor 1) unless it exists; returns when every partition has a leader. */
    public void createTopic(String name, int partitions) {
        createTopic(name, partitions, Map.of());
    }

    public void createTopic(String name, int partitions, Map<String, String> configs) {
        broker().createTopic(name, partitions, configs);
    }

    /** False when the broker is a Testcontainers container. */
    public boolean isEmbedded() {
        return broker() instanceof Embedded;
    }

    /**
     * The embedded broker, for stop/restart fault tests.
     *
     * @throws IllegalStateException on Testcontainers (skip such tests with {@code assumeTrue(KAFKA.isEmbedded())})
     */
    public EmbeddedKafkaBroker embedded() {
        if (broker() instanceof Embedded e) {
            return e.broker;
        }
        throw new IllegalStateException("the broker is a Testcontainers container, not embedded");
    }

    private Broker broker() {
        Broker b = broker;
        if (b == null) {
            throw new IllegalStateException("KafkaBrokerExtension not started: register it with @RegisterExtension "
                    + "on a static field");
        }
        return b;
    }

    private static Broker sharedBroker() {
        synchronized (SHARED_LOCK) {
            if (shared == null) {
                Broker b = startBroker();
                Runtime.getRuntime().addShutdownHook(new Thread(b::close, "livesae-kafka-shutdown"));
                shared = b;
            }
            return shared;
        }
    }

    private static Broker startBroker() {
        if (DockerProbe.useContainer()) {
            String image = System.getProperty("livesae.kafka.image", DEFAULT_IMAGE);
            KafkaContainer container = new KafkaContainer(DockerImageName.parse(image).asCompatibleSubstituteFor("apache/kafka"))
                    .withEnv("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
                    .withEnv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0");
            container.start();
            LOG.info("Kafka container {} ready on {}", image, container.getBootstrapServers());
            return new Container(container);
        }
        return new Embedded(EmbeddedKafkaBroker.start(BrokerOptions.defaults()));
    }

    /** The two broker kinds behind the extension. */
    private interface Broker extends AutoCloseable {
        String bootstrapServers();

        void createTopic(String name, int partitions, Map<String, String> configs);

        @Override
        void close();
    }

    private record Embedded(EmbeddedKafkaBroker broker) implements Broker {
        @Override
        public String bootstrapServers() {
            return broker.bootstrapServers();
        }

        @Override
        public void createTopic(String name, int partitions, Map<String, String> configs) {
            broker.createTopic(name, partitions, configs);
        }

        @Override
        public void close() {
            broker.close();
        }
    }

    private record Container(KafkaContainer container) implements Broker {
        @Override
        public String bootstrapServers() {
            return container.getBootstrapServers();
        }

        @Override
        public void createTopic(String name, int partitions, Map<String, String> configs) {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
                TopicAdmin.createTopic(admin, name, partitions, configs);
            }
        }

        @Override
        public void close() {
            container.stop();
        }
    }
}
