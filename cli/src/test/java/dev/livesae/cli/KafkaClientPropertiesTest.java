package dev.livesae.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livesae.kafka.test.KafkaBrokerExtension;
import dev.livesae.monitor.MonitorCommand;
import dev.livesae.wire.Topics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Properties from {@code --kafka-config} (and {@code --kafka-property}, which wins) reach every kind of Kafka
 * client the commands create: producers, consumers, admin clients and Kafka Streams with its internal clients.
 * Each client instantiates {@link RecordingReporter} from {@code metric.reporters} with its own configuration.
 */
class KafkaClientPropertiesTest {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @Test
    void propertiesFromTheFileReachEveryClientOfProduceTrainAndMonitor(@TempDir Path dir) throws Exception {
        RecordingReporter.SEEN.clear();
        Path config = dir.resolve("client.properties");
        Files.writeString(config, String.join("\n",
                "# a user's client properties file",
                "metric.reporters=" + RecordingReporter.class.getName(),
                "client.id=acme",
                RecordingReporter.MARKER + "=from-file",
                ""));
        String model = "kp-" + Long.toHexString(System.nanoTime());
        String hook = "hook_synthetic";

        Run produce = sae("produce", "--bootstrap", KAFKA.bootstrapServers(), "--kafka-config", config.toString(),
                "--source", "synthetic", "--model", model, "--d-in", "16", "--features", "64", "--mean-active", "4",
                "--max-tokens", "2048", "--progress-ms", "0");
        assertThat(produce.exit).as(produce.err).isZero();

        Run train = sae("train", "--bootstrap", KAFKA.bootstrapServers(), "--kafka-config", config.toString(),
                "--topic", Topics.activations(model, hook), "--checkpoint-dir", dir.resolve("ck").toString(),
                "--d-sae", "64", "--k", "4", "--batch", "256", "--shuffle-buffer", "0", "--max-tokens", "2048",
                "--promote-every", "0", "--progress-every-seconds", "60");
        assertThat(train.exit).as(train.err).isZero();

        MonitorCommand monitor = new MonitorCommand();
        CommandLine cl = Sae.commandLine(new LayeredDefaults(java.util.Map.of(), new java.util.Properties()));
        CommandLine monitorLine = cl.getSubcommands().get("monitor");
        StringWriter monitorOut = new StringWriter();
        CommandLine own = new CommandLine(monitor);
        own.setOut(new PrintWriter(monitorOut, true));
        CompletableFuture<Integer> running = CompletableFuture.supplyAsync(() -> own.execute(
                "--bootstrap", KAFKA.bootstrapServers(), "--kafka-config", config.toString(),
                "--kafka-property", RecordingReporter.MARKER + "=from-flag",
                "--topic", Topics.codes(model, hook), "--application-id", "kp-monitor-" + model,
                "--window-tokens", "512", "--metrics-port", "0"));
        assertThat(monitorLine).isNotNull();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (RecordingReporter.SEEN.stream().noneMatch(s -> s.namespace().equals("kafka.streams"))
                && System.nanoTime() < deadline && !running.isDone()) {
            Thread.sleep(100);
        }
        monitor.requestStop();
        assertThat(running.get()).as(monitorOut.toString()).isZero();

        List<RecordingReporter.Seen> seen = List.copyOf(RecordingReporter.SEEN);
        assertThat(seen.stream().map(RecordingReporter.Seen::namespace).collect(Collectors.toSet()))
                .as("every kind of client was created with the user's properties: %s", seen)
                .containsAll(Set.of("kafka.producer", "kafka.consumer", "kafka.admin.client", "kafka.streams"));
        assertThat(seen).allSatisfy(s -> {
            assertThat(s.clientId()).as("client.id is the user's prefix: %s", s).startsWith("acme");
            assertThat(s.marker()).as("property reached %s", s).isIn("from-file", "from-flag");
        });
        assertThat(seen.stream().filter(s -> s.namespace().equals("kafka.streams")))
                .as("--kafka-property wins over --kafka-config").allSatisfy(s -> assertThat(s.marker()).isEqualTo("from-flag"));
    }

    @Test
    void everyCommandThatTalksToKafkaDocumentsTheClientOptions() {
        for (String[] command : List.of(new String[] {"produce"}, new String[] {"train"}, new String[] {"monitor"},
                new String[] {"demo"}, new String[] {"bench", "producer"}, new String[] {"bench", "kafka-trainer"})) {
            String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(command), java.util.stream.Stream.of("--help"))
                    .toArray(String[]::new);
            Run help = sae(args);
            assertThat(help.exit()).isZero();
            assertThat(help.out()).as(String.join(" ", command))
                    .contains("--bootstrap=HOST:PORT", "--kafka-config=FILE", "--kafka-property=KEY=VALUE");
        }
    }

    @Test
    void aPropertyTheServiceOwnsIsRefusedNamingIt() throws Exception {
        Run train = sae("train", "--bootstrap", KAFKA.bootstrapServers(), "--kafka-property", "isolation.level=read_uncommitted",
                "--topic", "kp.refused", "--checkpoint-dir", "/tmp/unused-kp", "--max-tokens", "1");
        assertThat(train.exit).isNotZero();
        assertThat(train.err).contains("isolation.level=read_uncommitted").contains("read_committed");
        assertThat(train.err).doesNotContain("\tat ");
    }

    record Run(int exit, String out, String err) {
    }

    static Run sae(String... args) {
        CommandLine cl = Sae.commandLine(new LayeredDefaults(java.util.Map.of(), new java.util.Properties()));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }
}
