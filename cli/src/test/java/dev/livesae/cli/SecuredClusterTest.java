package dev.livesae.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livesae.kafka.test.KafkaBrokerExtension;
import dev.livesae.wire.Topics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import dev.livesae.monitor.MonitorCommand;
import org.apache.kafka.common.acl.AclOperation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * Every command against a broker that requires authentication: SASL_SSL with SCRAM-SHA-512 and Kafka's
 * StandardAuthorizer (the embedded broker's secured listener), configured only through {@code --kafka-config}.
 */
class SecuredClusterTest {
    private static final Logger LOG = LoggerFactory.getLogger(SecuredClusterTest.class);

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.secured(
            Map.of("admin", "admin-secret", "alice", "alice-secret", "mallory", "mallory-secret"), Set.of("admin"));

    private static final String HOOK = "hook_synthetic";
    private static final Duration ONE_LINE_WITHIN = Duration.ofSeconds(30);

    private static Path clientConfig(Path dir, String name, Map<String, String> props) throws Exception {
        Path file = dir.resolve(name + ".properties");
        Properties p = new Properties();
        p.putAll(props);
        try (var w = Files.newBufferedWriter(file)) {
            p.store(w, "client properties of " + name);
        }
        return file;
    }

    private static String[] produceArgs(Path config, String model, int tokens) {
        return new String[] {"produce", "--bootstrap", KAFKA.saslBootstrapServers(), "--kafka-config", config.toString(),
                "--source", "synthetic", "--model", model, "--d-in", "16", "--features", "64", "--mean-active", "4",
                "--max-tokens", Integer.toString(tokens), "--progress-ms", "0"};
    }

    private static String[] trainArgs(Path config, String model, Path dir, int tokens) {
        return new String[] {"train", "--bootstrap", KAFKA.saslBootstrapServers(), "--kafka-config", config.toString(),
                "--topic", Topics.activations(model, HOOK), "--checkpoint-dir", dir.resolve("ck-" + model).toString(),
                "--d-sae", "64", "--k", "4", "--batch", "256", "--shuffle-buffer", "0", "--max-tokens", Integer.toString(tokens),
                "--promote-every", "0", "--progress-every-seconds", "60"};
    }

    private static String[] monitorArgs(Path config, String model) {
        return new String[] {"--bootstrap", KAFKA.saslBootstrapServers(), "--kafka-config", config.toString(),
                "--model", model, "--hookpoint", HOOK, "--application-id", "secured-monitor-" + model,
                "--window-tokens", "512", "--metrics-port", "0"};
    }

    @Test
    void produceTrainAndMonitorRunOverSaslSslWithAClientPropertiesFile(@TempDir Path dir) throws Exception {
        Path config = clientConfig(dir, "alice", KAFKA.saslClientProperties("alice"));
        String model = "secured-" + Long.toHexString(System.nanoTime());
        int tokens = 4096;

        KafkaClientPropertiesTest.Run produce = KafkaClientPropertiesTest.sae(produceArgs(config, model, tokens));
        assertThat(produce.exit()).as(produce.err()).isZero();
        assertThat(produce.out()).contains("4,096 rows acknowledged");

        KafkaClientPropertiesTest.Run train = KafkaClientPropertiesTest.sae(trainArgs(config, model, dir, tokens));
        assertThat(train.exit()).as(train.err()).isZero();

        MonitorCommand monitor = new MonitorCommand();
        StringWriter monitorOut = new StringWriter();
        CommandLine own = new CommandLine(monitor);
        own.setOut(new PrintWriter(monitorOut, true));
        CompletableFuture<Integer> running = CompletableFuture.supplyAsync(() -> own.execute(monitorArgs(config, model)));
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            URI metrics = null;
            long monitored = 0;
            while (System.nanoTime() < deadline && !running.isDone() && monitored < tokens) {
                if (metrics == null) {
                    Matcher m = Pattern.compile("(http://\\S+/metrics)").matcher(monitorOut.toString());
                    metrics = m.find() ? URI.create(m.group(1)) : null;
                } else {
                    monitored = monitoredTokens(metrics);
                }
                Thread.sleep(200);
            }
            assertThat(monitored).as("tokens the monitor counted over SASL_SSL; monitor output: %s", monitorOut).isEqualTo(tokens);
            LOG.info("secured pipeline: produced {}, trained {}, monitored {} tokens over SASL_SSL", tokens, tokens, monitored);
        } finally {
            monitor.requestStop();
        }
        assertThat(running.get()).as(monitorOut.toString()).isZero();
    }

    private static long monitoredTokens(URI metrics) throws Exception {
        String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString()).body();
        return (long) body.lines().filter(l -> l.startsWith("livesae_monitor_tokens_total"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void aWrongPasswordEndsEveryCommandWithinThirtySecondsInOneLineNamingTheAuthenticationFailure(@TempDir Path dir) throws Exception {
        Path config = clientConfig(dir, "wrong", KAFKA.saslClientProperties("alice", "not-alices-password"));
        String model = "wrongpw";
        Map<String, String[]> commands = Map.of(
                "produce", produceArgs(config, model, 100),
                "train", trainArgs(config, model, dir, 100),
                "monitor", prepend("monitor", monitorArgs(config, model)));
        for (Map.Entry<String, String[]> c : commands.entrySet()) {
            long t0 = System.nanoTime();
            KafkaClientPropertiesTest.Run r = KafkaClientPropertiesTest.sae(c.getValue());
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            LOG.info("wrong password: sae {} ended in {} ms: {}", c.getKey(), took.toMillis(), r.err().strip());
            assertOneLine(c.getKey(), r, took);
            assertThat(r.err()).contains("Kafka at " + KAFKA.saslBootstrapServers() + ": authentication failed")
                    .doesNotContain("not-alices-password");
        }
    }

    @Test
    void anAclDenyingWriteOnTheActivationTopicEndsProduceInOneLineNamingTopicAndOperation(@TempDir Path dir) throws Exception {
        String model = "denied";
        String topic = Topics.activations(model, HOOK);
        KAFKA.denyTopicOperation(topic, "mallory", AclOperation.WRITE);
        Path config = clientConfig(dir, "mallory", KAFKA.saslClientProperties("mallory"));
        long t0 = System.nanoTime();
        KafkaClientPropertiesTest.Run r = KafkaClientPropertiesTest.sae(produceArgs(config, model, 1000));
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        LOG.info("ACL denial: sae produce ended in {} ms: {}", took.toMillis(), r.err().strip());
        assertOneLine("produce", r, took);
        assertThat(r.err()).contains("not authorized to WRITE topic " + topic);

        Path alice = clientConfig(dir, "alice", KAFKA.saslClientProperties("alice"));
        KafkaClientPropertiesTest.Run allowed = KafkaClientPropertiesTest.sae(produceArgs(alice, model, 1000));
        assertThat(allowed.exit()).as("another user may still write the topic: %s", allowed.err()).isZero();
    }

    @Test
    void anAclDenyingWriteWhileProduceRunsEndsItInOneLineNamingTopicAndOperation(@TempDir Path dir) throws Exception {
        String model = "revoked";
        String topic = Topics.activations(model, HOOK);
        Path config = clientConfig(dir, "mallory", KAFKA.saslClientProperties("mallory"));
        CommandLine cl = Sae.commandLine(new LayeredDefaults(Map.of(), new Properties()));
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(new StringWriter(), true));
        cl.setErr(new PrintWriter(err, true));
        CompletableFuture<Integer> running = CompletableFuture.supplyAsync(() -> cl.execute(produceArgs(config, model, 0)));
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (endOffset(topic) == 0 && !running.isDone() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(running).as("endless produce is publishing; stderr: %s", err).isNotDone();
        assertThat(endOffset(topic)).as("records published before the ACL").isPositive();

        KAFKA.denyTopicOperation(topic, "mallory", AclOperation.WRITE);
        long t0 = System.nanoTime();
        int exit = running.get(60, java.util.concurrent.TimeUnit.SECONDS);
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        List<String> lines = err.toString().lines().filter(l -> !l.isBlank()).toList();
        LOG.info("ACL denial while running: sae produce ended {} ms after the ACL: {}", took.toMillis(), lines.get(lines.size() - 1));
        assertThat(exit).as(err.toString()).isEqualTo(Sae.EXIT_KAFKA_UNAVAILABLE);
        assertThat(lines.get(lines.size() - 1)).startsWith("sae produce: Kafka at " + KAFKA.saslBootstrapServers() + ": ")
                .contains("not authorized to WRITE topic " + topic);
        assertThat(err.toString()).doesNotContain("\tat ");
        assertThat(took).isLessThan(ONE_LINE_WITHIN);
    }

    @Test
    void aPrincipalWithoutCreateProducesToATopicOperatorsMadeUpFront(@TempDir Path dir) throws Exception {
        String model = "precreated";
        String topic = Topics.activations(model, HOOK);
        KAFKA.createTopic(topic, 1);
        KAFKA.denyTopicOperation(topic, "mallory", AclOperation.CREATE);
        Path config = clientConfig(dir, "mallory", KAFKA.saslClientProperties("mallory"));
        KafkaClientPropertiesTest.Run r = KafkaClientPropertiesTest.sae(produceArgs(config, model, 1000));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(endOffset(topic)).isPositive();
    }

    /** Records in partition 0 of {@code topic} (read over PLAINTEXT, whose principal is a super user); 0 if missing. */
    private static long endOffset(String topic) throws Exception {
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(KAFKA.clientConfig().admin("secured-test"))) {
            return admin.listOffsets(Map.of(new org.apache.kafka.common.TopicPartition(topic, 0),
                    org.apache.kafka.clients.admin.OffsetSpec.latest())).all().get(30, java.util.concurrent.TimeUnit.SECONDS)
                    .values().iterator().next().offset();
        } catch (java.util.concurrent.ExecutionException e) {
            return 0;
        }
    }

    private static void assertOneLine(String command, KafkaClientPropertiesTest.Run r, Duration took) {
        assertThat(r.exit()).as("%s exit code; stderr: %s", command, r.err()).isEqualTo(Sae.EXIT_KAFKA_UNAVAILABLE);
        List<String> lines = r.err().lines().filter(l -> !l.isBlank()).collect(Collectors.toList());
        assertThat(lines).as("%s stderr", command).hasSize(1);
        assertThat(lines.get(0)).startsWith("sae " + command + ": Kafka at ").doesNotContain("\tat ");
        assertThat(took).as("%s reported within %s", command, ONE_LINE_WITHIN).isLessThan(ONE_LINE_WITHIN);
    }

    private static String[] prepend(String first, String[] rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }
}
