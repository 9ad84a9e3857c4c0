package dev.livesae.kafka.test;

import dev.livesae.kafka.local.EmbeddedKafkaBroker;
import dev.livesae.kafka.local.BrokerCommand;
import dev.livesae.clients.TopicAdmin;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class BrokerCommandTest {

    @TempDir
    Path tmp;

    /** Output of one command run. */
    private record Run(int exitCode, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new BrokerCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void rejectsPortOutOfRangeNamingTheFlag() {
        Run r = run("--port", "70000");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("--port must be in 0..65535 (got 70000)");
        Run r2 = run("--controller-port", "-5");
        assertThat(r2.exitCode()).isEqualTo(2);
        assertThat(r2.err()).contains("--controller-port must be in 0..65535 (got -5)");
    }

    @Test
    void rejectsSamePortForClientsAndController() {
        Run r = run("--port", "19092", "--controller-port", "19092");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("--controller-port must differ from --port");
    }

    @Test
    void rejectsNonPositivePartitionsDefault() {
        Run r = run("--partitions-default", "0");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("--partitions-default must be >= 1 (got 0)");
    }

    @Test
    void rejectsDataDirThatIsNotAWritableDirectory() throws Exception {
        Path file = Files.writeString(tmp.resolve("plain-file"), "x");
        Run r = run("--data-dir", file.resolve("sub").toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("--data-dir must be a writable directory").contains("plain-file");
    }

    @Test
    void helpDescribesEveryOptionWithItsDefault() {
        Run r = run("--help");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("--port=PORT").contains("default: 9092")
                .contains("--controller-port=PORT").contains("default: 9093")
                .contains("--data-dir=DIR").contains("temporary directory deleted at exit")
                .contains("--partitions-default=N").contains("default: 1")
                .contains("--auto-create-topics").contains("default: false");
    }

    @Test
    void persistentDataDirIsFormattedOnceAndKeepsTopicsAcrossRuns() throws Exception {
        Path dataDir = tmp.resolve("broker-data");
        String first = runUntilReady(dataDir, bootstrap -> {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
                TopicAdmin.createTopic(admin, "cmd.persist", 2, Map.of());
            }
            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>("cmd.persist", 0, "k", "kept")).get();
            }
        });
        Path meta = dataDir.resolve(EmbeddedKafkaBroker.LOG_DIR_NAME).resolve("meta.properties");
        String clusterIdLine = Files.readAllLines(meta).stream().filter(l -> l.startsWith("cluster.id")).findFirst().orElseThrow();

        String second = runUntilReady(dataDir, bootstrap -> {
            List<ConsumerRecord<String, String>> got = TopicRecords.readAll(bootstrap, "cmd.persist", 1, IsolationLevel.READ_COMMITTED);
            assertThat(got).extracting(ConsumerRecord::value).containsExactly("kept");
        });
        assertThat(first).isNotBlank();
        assertThat(second).isNotBlank();
        assertThat(Files.readAllLines(meta)).contains(clusterIdLine);
    }

    /** Something to do against a running broker. */
    private interface WhileRunning {
        void accept(String bootstrap) throws Exception;
    }

    /** Runs `sae broker --port 0 --controller-port 0 --data-dir DIR`, waits for "Ready", acts, then stops it. */
    private static String runUntilReady(Path dataDir, WhileRunning action) throws Exception {
        BrokerCommand command = new BrokerCommand();
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(command);
        cl.setOut(new PrintWriter(out, true));
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() ->
                cl.execute("--port", "0", "--controller-port", "0", "--data-dir", dataDir.toString()));
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!out.toString().contains("Ready") && !exit.isDone() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(out.toString()).as("command output").contains("Ready");
        Matcher m = Pattern.compile("bootstrap servers: (127\\.0\\.0\\.1:\\d+)").matcher(out.toString());
        assertThat(m.find()).as("bootstrap line in %s", out).isTrue();
        try {
            action.accept(m.group(1));
        } finally {
            command.requestStop();
        }
        assertThat(exit.get(60, TimeUnit.SECONDS)).isZero();
        assertThat(dataDir).isDirectory();
        return m.group(1);
    }
}
