package dev.livesae.kafka.test;

import dev.livesae.clients.KafkaClientConfig;
import dev.livesae.clients.TopicAdmin;
import dev.livesae.kafka.local.BrokerOptions;
import dev.livesae.kafka.local.EmbeddedKafkaBroker;
import dev.livesae.kafka.local.QuietLogging;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
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
 *
 * <p>Fault tests take the broker away with {@link #stopBroker()} and bring it back with {@link #startBroker()}:
 * the embedded broker shuts down and restarts on the same ports and data; the container is paused and resumed
 * (its mapped ports and data stay), so the same tests run on both kinds.
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
        broker = mode == Mode.SHARED ? sharedBroker() : launch();
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

    /** A client configuration for this broker (bootstrap only). */
    public KafkaClientConfig clientConfig() {
        return KafkaClientConfig.of(bootstrapServers());
    }

    /** False when the broker is a Testcontainers container. */
    public boolean isEmbedded() {
        return broker() instanceof Embedded;
    }

    /** Takes the broker away (clients see an outage) until {@link #startBroker()}; needs {@link Mode#PER_CLASS}. */
    public void stopBroker() {
        requirePerClass("stopBroker");
        broker().pause();
    }

    /** Brings the broker back after {@link #stopBroker()}, on the same address and with the same data. */
    public void startBroker() {
        requirePerClass("startBroker");
        broker().resume();
    }

    /**
     * The embedded broker itself, for tests of the embedded broker.
     *
     * @throws IllegalStateException on Testcontainers (use {@link #stopBroker()} for fault tests)
     */
    public EmbeddedKafkaBroker embedded() {
        if (broker() instanceof Embedded e) {
            return e.broker;
        }
        throw new IllegalStateException("the broker is a Testcontainers container, not embedded");
    }

    private void requirePerClass(String what) {
        if (mode != Mode.PER_CLASS) {
            throw new IllegalStateException(what + " needs KafkaBrokerExtension(Mode.PER_CLASS): other classes share this broker");
        }
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
                Broker b = launch();
                Runtime.getRuntime().addShutdownHook(new Thread(b::close, "livesae-kafka-shutdown"));
                shared = b;
            }
            return shared;
        }
    }

    private static Broker launch() {
        if (DockerProbe.useContainer()) {
            String image = System.getProperty("livesae.kafka.image", DEFAULT_IMAGE);
            KafkaContainer container = new KafkaContainer(DockerImageName.parse(image).asCompatibleSubstituteFor("apache/kafka"))
                    .withEnv("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
                    .withEnv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
                    .withEnv("KAFKA_MESSAGE_MAX_BYTES", Integer.toString(EmbeddedKafkaBroker.MAX_MESSAGE_BYTES))
                    .withEnv("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
                    .withEnv("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1");
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

        void pause();

        void resume();

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
        public void pause() {
            broker.stop();
        }

        @Override
        public void resume() {
            broker.restart();
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
            try (Admin admin = Admin.create(KafkaClientConfig.of(bootstrapServers()).admin("livesae-test-topics"))) {
                TopicAdmin.createTopic(admin, name, partitions, configs);
            }
        }

        @Override
        public void pause() {
            container.getDockerClient().pauseContainerCmd(container.getContainerId()).exec();
        }

        @Override
        public void resume() {
            container.getDockerClient().unpauseContainerCmd(container.getContainerId()).exec();
        }

        @Override
        public void close() {
            container.stop();
        }
    }
}
