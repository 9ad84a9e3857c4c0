package dev.livesae.kafka.local;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.utils.AppInfoParser;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sae broker}: a single-node KRaft Kafka broker on 127.0.0.1 that runs until Ctrl-C. */
@Command(name = "broker", mixinStandardHelpOptions = true,
        description = {"Run a single-node KRaft Kafka broker (combined broker+controller, Kafka's own jars) on "
                + "127.0.0.1 until Ctrl-C. Prints the bootstrap address, then 'Ready'.",
                "Every replication factor is 1; topics are not auto-created unless --auto-create-topics is given.",
                "With --sasl-users FILE it also listens on --sasl-port with SASL_SSL (SCRAM-SHA-512 users, a self-signed TLS "
                        + "certificate, ACLs enforced) and writes one client properties file per user."})
public final class BrokerCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--port", defaultValue = "9092", paramLabel = "PORT",
            description = "PLAINTEXT client port on 127.0.0.1; 0 = any free port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--controller-port", defaultValue = "9093", paramLabel = "PORT",
            description = "KRaft CONTROLLER listener port on 127.0.0.1; 0 = any free port (default: ${DEFAULT-VALUE}).")
    int controllerPort;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Persistent data directory: formatted on first use, reused (topics, offsets) after. "
                    + "Default: a temporary directory deleted at exit.")
    Path dataDir;

    @Option(names = "--partitions-default", defaultValue = "1", paramLabel = "N",
            description = "num.partitions: partition count of topics created without one (default: ${DEFAULT-VALUE}).")
    int partitionsDefault;

    @Option(names = "--auto-create-topics", defaultValue = "false",
            description = "Let clients create missing topics on first use (auto.create.topics.enable; default: ${DEFAULT-VALUE}).")
    boolean autoCreateTopics;

    @Option(names = "--sasl-users", paramLabel = "FILE",
            description = "Turn on a SASL_SSL listener with the SCRAM-SHA-512 users in FILE, one name=password per line "
                    + "(# comments). Users are created when the data directory is formatted (and updated on later starts).")
    Path saslUsers;

    @Option(names = "--sasl-port", defaultValue = "9094", paramLabel = "PORT",
            description = "SASL_SSL client port on 127.0.0.1 with --sasl-users; 0 = any free port (default: ${DEFAULT-VALUE}).")
    int saslPort;

    @Option(names = "--sasl-super-users", split = ",", paramLabel = "NAME",
            description = "Users from --sasl-users that no ACL denies (super.users); the PLAINTEXT listener's ANONYMOUS always is one.")
    List<String> saslSuperUsers = new ArrayList<>();

    @Option(names = "--client-config-dir", paramLabel = "DIR",
            description = "Where --sasl-users writes client-<user>.properties (security.protocol, sasl.*, ssl.truststore.*) for "
                    + "--kafka-config. Default: the data directory.")
    Path clientConfigDir;

    private final CountDownLatch stopRequested = new CountDownLatch(1);

    /** Stops a running {@link #call()} as Ctrl-C would, without a JVM shutdown (for embedding and tests). */
    public void requestStop() {
        stopRequested.countDown();
    }

    @Override
    public Integer call() {
        BrokerOptions options = validatedOptions();
        PrintWriter out = spec.commandLine().getOut();
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(options);
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stopRequested.countDown();
            awaitQuietly(stopped);
        }, "sae-broker-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            out.println("Kafka " + AppInfoParser.getVersion() + " KRaft broker, bootstrap servers: " + broker.bootstrapServers());
            out.println("Data directory: " + (dataDir == null ? broker.dataDir() + " (temporary)" : broker.dataDir()));
            if (options.saslSsl() != null) {
                out.println("SASL_SSL (SCRAM-SHA-512) bootstrap servers: " + broker.saslBootstrapServers());
                Path dir = clientConfigDir != null ? clientConfigDir : broker.dataDir();
                for (String user : new java.util.TreeSet<>(options.saslSsl().users().keySet())) {
                    Path file = writeClientConfig(dir, user, broker);
                    out.println("Client properties for " + user + ": " + file + "  (use: --bootstrap "
                            + broker.saslBootstrapServers() + " --kafka-config " + file + ")");
                }
            }
            out.println("Ready");
            out.flush();
            stopRequested.await();
            out.println("Stopping");
            out.flush();
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } finally {
            broker.close();
            stopped.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is what stopped us
            }
        }
    }

    private BrokerOptions validatedOptions() {
        checkPort("--port", port);
        checkPort("--controller-port", controllerPort);
        if (port != 0 && port == controllerPort) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--controller-port must differ from --port (both " + port + ")");
        }
        if (partitionsDefault < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--partitions-default must be >= 1 (got " + partitionsDefault + ")");
        }
        if (dataDir != null) {
            try {
                Files.createDirectories(dataDir);
            } catch (IOException | RuntimeException e) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--data-dir must be a writable directory (got " + dataDir + ": " + e.getMessage() + ")");
            }
            if (!Files.isDirectory(dataDir) || !Files.isWritable(dataDir)) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--data-dir must be a writable directory (got " + dataDir + ")");
            }
        }
        if (clientConfigDir != null) {
            try {
                Files.createDirectories(clientConfigDir);
            } catch (IOException | RuntimeException e) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--client-config-dir must be a writable directory (got " + clientConfigDir + ": " + e.getMessage() + ")");
            }
            if (!Files.isWritable(clientConfigDir)) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--client-config-dir must be a writable directory (got " + clientConfigDir + ")");
            }
        }
        return new BrokerOptions(port, controllerPort, dataDir, Map.of(
                "num.partitions", Integer.toString(partitionsDefault),
                "auto.create.topics.enable", Boolean.toString(autoCreateTopics)), saslListener());
    }

    private SaslSslListener saslListener() {
        if (saslUsers == null) {
            if (!saslSuperUsers.isEmpty()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--sasl-super-users needs --sasl-users");
            }
            return null;
        }
        checkPort("--sasl-port", saslPort);
        if (saslPort != 0 && (saslPort == port || saslPort == controllerPort)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--sasl-port must differ from --port and --controller-port (got " + saslPort + ")");
        }
        Map<String, String> users = readUsers(saslUsers);
        try {
            return new SaslSslListener(saslPort, users, new java.util.HashSet<>(saslSuperUsers));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--sasl-users " + saslUsers + ": " + e.getMessage());
        }
    }

    /** name=password lines; blank lines and # comments skipped. Passwords never reach a message. */
    private Map<String, String> readUsers(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException | RuntimeException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--sasl-users: cannot read " + file + " (" + e.getMessage() + ")");
        }
        Map<String, String> users = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0 || eq == line.length() - 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--sasl-users " + file + " line " + (i + 1)
                        + ": expected name=password");
            }
            String name = line.substring(0, eq).strip();
            if (users.put(name, line.substring(eq + 1).strip()) != null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--sasl-users " + file + " line " + (i + 1)
                        + ": user " + name + " given twice");
            }
        }
        if (users.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--sasl-users " + file + ": no name=password line");
        }
        return users;
    }

    /** Writes client-<user>.properties (owner-only where the file system has POSIX permissions). */
    static Path writeClientConfig(Path dir, String user, EmbeddedKafkaBroker broker) {
        Path file = dir.resolve("client-" + user + ".properties");
        StringBuilder sb = new StringBuilder("# Kafka client properties for user ").append(user)
                .append(" on the SASL_SSL listener of sae broker; pass with --kafka-config\n");
        sb.append("bootstrap.servers=").append(broker.saslBootstrapServers()).append('\n');
        broker.saslClientProperties(user).forEach((k, v) -> sb.append(k).append('=')
                .append(v.replace("\\", "\\\\")).append('\n'));
        try {
            Files.createDirectories(dir);
            Files.writeString(file, sb.toString());
            try {
                Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException notPosix) {
                // e.g. Windows: the file keeps the directory's access rules
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write " + file, e);
        }
        return file;
    }

    private void checkPort(String flag, int value) {
        if (value < 0 || value > 65535) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    flag + " must be in 0..65535 (got " + value + ")");
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new BrokerCommand()).execute(args));
    }
}
