package dev.livesae.kafka.local;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
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
                "Every replication factor is 1; topics are not auto-created unless --auto-create-topics is given."})
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
        return new BrokerOptions(port, controllerPort, dataDir, Map.of(
                "num.partitions", Integer.toString(partitionsDefault),
                "auto.create.topics.enable", Boolean.toString(autoCreateTopics)));
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
