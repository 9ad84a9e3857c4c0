package dev.livesae.kafka.local;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import dev.livesae.clients.TopicAdmin;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node KRaft Kafka broker (combined broker+controller, node.id 1) running in this JVM from
 * Kafka's own jars. Clients connect to {@link #bootstrapServers()} on 127.0.0.1 over PLAINTEXT.
 *
 * <p>Lifecycle: {@link #start} formats storage (once) and starts the server; {@link #stop} shuts it down
 * keeping the data and ports; {@link #restart} starts it again on the same ports and data; {@link #close}
 * stops and removes a temporary data directory. Not thread-safe for concurrent lifecycle calls.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
    /**
     * Largest record the broker accepts (message.max.bytes, 32 MiB): one record is one Arrow batch, and
     * 1024 tokens x 768 floats is ~3.2 MB, over Kafka's 1 MiB default. Producers set max.request.size to match.
     */
    public static final int MAX_MESSAGE_BYTES = 32 * 1024 * 1024;


    static {
        QuietLogging.apply();
    }

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    private static final int EPHEMERAL_ATTEMPTS = 5;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration RESTART_BIND_TIMEOUT = Duration.ofSeconds(20);
    public static final String LOG_DIR_NAME = "kraft-combined-logs";

    private final Path dataDir;
    private final boolean temporaryDataDir;
    private final Map<String, String> overrides;
    private int port;
    private int controllerPort;
    private KafkaRaftServer server;
    private Admin admin;
    private boolean closed;

    private EmbeddedKafkaBroker(Path dataDir, boolean temporaryDataDir, Map<String, String> overrides) {
        this.dataDir = dataDir;
        this.temporaryDataDir = temporaryDataDir;
        this.overrides = overrides;
    }

    /** Formats storage if needed, starts the broker and returns once it accepts client requests. */
    public static EmbeddedKafkaBroker start(BrokerOptions opts) {
        if (opts == null) {
            throw new IllegalArgumentException("opts must not be null (use BrokerOptions.defaults())");
        }
        boolean temporary = opts.dataDir() == null;
        Path dir;
        try {
            dir = temporary ? Files.createTempDirectory("livesae-kafka-") : opts.dataDir();
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create Kafka data directory " + opts.dataDir(), e);
        }
        if (!Files.isWritable(dir)) {
            throw new IllegalArgumentException("dataDir must be writable (got " + dir + ")");
        }
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(dir, temporary, opts.overrides());
        try {
            broker.firstStart(opts.port(), opts.controllerPort());
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
        return broker;
    }

    /** "127.0.0.1:PORT", stable across {@link #stop()} and {@link #restart()}. */
    public String bootstrapServers() {
        return KraftProperties.HOST + ":" + port;
    }

    public int port() {
        return port;
    }

    public int controllerPort() {
        return controllerPort;
    }

    public Path dataDir() {
        return dataDir;
    }

    public boolean isRunning() {
        return server != null;
    }

    /** Creates the topic with replication factor 1 unless it exists; returns when every partition has a leader. */
    public void createTopic(String name, int partitions) {
        createTopic(name, partitions, Map.of());
    }

    /** As {@link #createTopic(String, int)} with topic configs (e.g. {@code cleanup.policy=compact}). */
    public void createTopic(String name, int partitions, Map<String, String> configs) {
        TopicAdmin.createTopic(admin(), name, partitions, configs);
    }

    /** Shuts the broker down cleanly; data directory and ports are kept for {@link #restart()}. Idempotent. */
    public synchronized void stop() {
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
            admin = null;
        }
        if (server != null) {
            long t0 = System.nanoTime();
            try {
                server.shutdown();
                server.awaitShutdown();
            } finally {
                server = null;
            }
            LOG.info("Kafka broker on {} stopped in {} ms", bootstrapServers(), elapsedMillis(t0));
        }
    }

    /** Starts the broker again on the same ports and data directory (stopping it first if running). */
    public synchronized void restart() {
        if (closed) {
            throw new IllegalStateException("broker on " + bootstrapServers() + " is closed");
        }
        stop();
        long deadline = System.nanoTime() + RESTART_BIND_TIMEOUT.toNanos();
        while (true) {
            try {
                startServer();
                return;
            } catch (PortInUseException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("cannot restart: " + e.getMessage(), e);
                }
                sleepQuietly(200);
            }
        }
    }

    /** Stops the broker and deletes the data directory if it was temporary. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            stop();
        } finally {
            if (temporaryDataDir) {
                deleteRecursively(dataDir);
            }
        }
    }

    private synchronized void firstStart(int wantedPort, int wantedControllerPort) {
        boolean ephemeral = wantedPort == 0 || wantedControllerPort == 0;
        int attempts = ephemeral ? EPHEMERAL_ATTEMPTS : 1;
        for (int attempt = 1; ; attempt++) {
            port = wantedPort != 0 ? wantedPort : freePort(wantedControllerPort);
            controllerPort = wantedControllerPort != 0 ? wantedControllerPort : freePort(port);
            try {
                format();
                startServer();
                return;
            } catch (PortInUseException e) {
                boolean fixedPortTaken = (wantedPort != 0 && e.getMessage().contains(":" + wantedPort + ":"))
                        || (wantedControllerPort != 0 && e.getMessage().contains(":" + wantedControllerPort + ":"));
                if (attempt >= attempts || fixedPortTaken) {
                    throw new IllegalStateException("cannot start Kafka broker: " + e.getMessage(), e);
                }
                LOG.info("port clash ({}), retrying with other ports", e.getMessage());
            }
        }
    }

    private Path logDir() {
        return dataDir.resolve(LOG_DIR_NAME);
    }

    private KafkaConfig config() {
        return new KafkaConfig(KraftProperties.build(port, controllerPort, logDir(), overrides), false);
    }

    /** Writes meta.properties and the bootstrap checkpoint unless the log dir is already formatted. */
    private void format() {
        if (Files.exists(logDir().resolve("meta.properties"))) {
            LOG.debug("{} is already formatted", logDir());
            return; // KafkaRaftServer verifies cluster id and node id of a formatted directory at startup
        }
        try {
            KafkaConfig config = config();
            new Formatter()
                    .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                    .setNodeId(KraftProperties.NODE_ID)
                    .setClusterId(Uuid.randomUuid().toString())
                    .setDirectories(List.of(logDir().toString()))
                    .setMetadataLogDirectory(config.metadataLogDir())
                    .setControllerListenerName(KraftProperties.CONTROLLER_LISTENER)
                    .run();
        } catch (Exception e) {
            throw new IllegalStateException("cannot format Kafka storage in " + logDir() + ": " + e.getMessage(), e);
        }
    }

    private void startServer() {
        long t0 = System.nanoTime();
        KafkaRaftServer s = new KafkaRaftServer(config(), Time.SYSTEM);
        try {
            s.startup();
        } catch (RuntimeException e) {
            shutdownQuietly(s);
            String bindFailure = bindFailure(e);
            if (bindFailure != null) {
                throw new PortInUseException(bindFailure, e);
            }
            throw new IllegalStateException("Kafka broker failed to start: " + e.getMessage(), e);
        }
        server = s;
        try {
            awaitReady();
        } catch (RuntimeException e) {
            stop();
            throw e;
        }
        LOG.info("Kafka broker ready on {} (controller {}, data {}) in {} ms",
                bootstrapServers(), controllerPort, dataDir, elapsedMillis(t0));
    }

    /** Waits until the broker lists itself as an unfenced node to a client. */
    private void awaitReady() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (true) {
            try {
                List<Node> nodes = List.copyOf(admin().describeCluster().nodes()
                        .get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
                if (nodes.stream().anyMatch(n -> n.id() == KraftProperties.NODE_ID)) {
                    return;
                }
            } catch (ExecutionException | TimeoutException e) {
                LOG.debug("broker not ready yet: {}", e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the broker", e);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Kafka broker on " + bootstrapServers()
                        + " did not become ready within " + READY_TIMEOUT);
            }
            sleepQuietly(50);
        }
    }

    private synchronized Admin admin() {
        if (server == null) {
            throw new IllegalStateException("broker on " + bootstrapServers() + " is not running");
        }
        if (admin == null) {
            admin = Admin.create(Map.of(
                    AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                    AdminClientConfig.CLIENT_ID_CONFIG, "livesae-embedded-broker-admin"));
        }
        return admin;
    }

    private static void shutdownQuietly(KafkaRaftServer s) {
        try {
            s.shutdown();
            s.awaitShutdown();
        } catch (RuntimeException e) {
            LOG.warn("error while shutting down a broker that failed to start: {}", e.toString());
        }
    }

    /** The message naming host:port when a listener could not bind, else null. */
    private static String bindFailure(Throwable e) {
        String described = null;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains("failed to bind")) {
                described = t.getMessage();
            }
            if (t instanceof BindException) {
                return described != null ? described : t.getMessage();
            }
        }
        return null;
    }

    /** A port that was free a moment ago (the broker retries if someone takes it first). */
    private static int freePort(int avoid) {
        for (int i = 0; i < 10; i++) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(KraftProperties.HOST))) {
                if (s.getLocalPort() != avoid) {
                    return s.getLocalPort();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot find a free port on " + KraftProperties.HOST, e);
            }
        }
        throw new IllegalStateException("cannot find a free port other than " + avoid);
    }

    static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            LOG.warn("could not delete Kafka data directory {}: {}", root, e.toString());
        }
    }

    private static long elapsedMillis(long t0) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** A listener port was taken between choosing it and binding it. */
    private static final class PortInUseException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        PortInUseException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
