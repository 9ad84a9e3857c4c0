package dev.livesae.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livesae.clients.TopicAdmin;
import dev.livesae.kafka.test.KafkaBrokerExtension;
import dev.livesae.monitor.MonitorCommand;
import dev.livesae.wire.Topics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * The cluster goes away while {@code sae train} and {@code sae monitor} run: both keep running, export
 * {@code livesae_kafka_connected 0} and the trainer's progress line says the cluster is unreachable; when it
 * comes back the gauge is 1 again and the trainer finishes its tokens.
 */
class ClusterOutageTest {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterOutageTest.class);

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension(KafkaBrokerExtension.Mode.PER_CLASS);

    @Test
    void trainerAndMonitorSayTheClusterIsUnreachableWhileItIsAwayAndRecover(@TempDir Path dir) throws Exception {
        String model = "outage";
        String hook = "hook_synthetic";
        TopicAdmin.createTopics(KAFKA.clientConfig(), List.of(Topics.activations(model, hook), Topics.codes(model, hook)), 1);
        int trainerPort = freePort();
        URI trainerMetrics = URI.create("http://127.0.0.1:" + trainerPort + "/metrics");

        StringWriter trainOut = new StringWriter();
        CommandLine train = Sae.commandLine(new LayeredDefaults(java.util.Map.of(), new java.util.Properties()));
        train.setOut(new PrintWriter(trainOut, true));
        train.setErr(new PrintWriter(trainOut, true));
        CompletableFuture<Integer> training = CompletableFuture.supplyAsync(() -> train.execute("train",
                "--bootstrap", KAFKA.bootstrapServers(), "--topic", Topics.activations(model, hook),
                "--checkpoint-dir", dir.resolve("ck").toString(), "--d-sae", "64", "--k", "4", "--batch", "256",
                "--shuffle-buffer", "0", "--max-tokens", "1024", "--promote-every", "0", "--progress-every-seconds", "1",
                "--metrics-port", Integer.toString(trainerPort)));

        MonitorCommand monitor = new MonitorCommand();
        StringWriter monitorOut = new StringWriter();
        CommandLine own = new CommandLine(monitor);
        own.setOut(new PrintWriter(monitorOut, true));
        CompletableFuture<Integer> monitoring = CompletableFuture.supplyAsync(() -> own.execute("--bootstrap", KAFKA.bootstrapServers(),
                "--model", model, "--hookpoint", hook, "--application-id", "outage-monitor", "--metrics-port", "0"));
        try {
            Await.until(Duration.ofSeconds(90), "monitor printed its metrics address", () -> monitorOut.toString().contains("/metrics"));
            Matcher m = Pattern.compile("(http://\\S+/metrics)").matcher(monitorOut.toString());
            assertThat(m.find()).isTrue();
            URI monitorMetrics = URI.create(m.group(1));
            Await.until(Duration.ofSeconds(90), "both report a reachable cluster", () -> gauge(trainerMetrics, "trainer") == 1 && gauge(monitorMetrics, "monitor") == 1);
            // the outage starts once both are up: the trainer past its transactional producer's start (it prints
            // progress), the monitor's Kafka Streams RUNNING (its internal topics exist)
            Await.until(Duration.ofSeconds(90), "the trainer printed progress", () -> trainOut.toString().contains("[train] "));
            URI monitorHealth = URI.create(m.group(1).replace("/metrics", "/health"));
            Await.until(Duration.ofSeconds(90), "the monitor is RUNNING", () -> healthy(monitorHealth));

            KAFKA.stopBroker();
            long t0 = System.nanoTime();
            Await.until(Duration.ofSeconds(90), "both report the cluster unreachable", () -> gauge(trainerMetrics, "trainer") == 0 && gauge(monitorMetrics, "monitor") == 0);
            LOG.info("outage: livesae_kafka_connected 0 on trainer and monitor {} ms after the broker stopped",
                    Duration.ofNanos(System.nanoTime() - t0).toMillis());
            Await.until(Duration.ofSeconds(90), "the trainer's progress line says so", () -> trainOut.toString().contains("UNREACHABLE"));
            String line = trainOut.toString().lines().filter(l -> l.contains("UNREACHABLE")).findFirst().orElseThrow();
            LOG.info("outage: trainer progress line: {}", line);
            assertThat(line).startsWith("[train] ").contains("Kafka at " + KAFKA.bootstrapServers());
            assertThat(training).as("the trainer keeps running through the outage").isNotDone();
            assertThat(monitoring).as("the monitor keeps running through the outage").isNotDone();

            KAFKA.startBroker();
            Await.until(Duration.ofSeconds(90), "both report the cluster reachable again", () -> gauge(trainerMetrics, "trainer") == 1 && gauge(monitorMetrics, "monitor") == 1);
            KafkaClientPropertiesTest.Run produce = KafkaClientPropertiesTest.sae("produce", "--bootstrap", KAFKA.bootstrapServers(),
                    "--source", "synthetic", "--model", model, "--d-in", "16", "--features", "64", "--mean-active", "4",
                    "--max-tokens", "1024", "--progress-ms", "0");
            assertThat(produce.exit()).as(produce.err()).isZero();
            assertThat(training.get(java.util.concurrent.TimeUnit.SECONDS.toMillis(180), java.util.concurrent.TimeUnit.MILLISECONDS))
                    .as(trainOut.toString()).isZero();
        } finally {
            monitor.requestStop();
        }
        assertThat(monitoring.get()).as(monitorOut.toString()).isZero();
    }

    private static boolean healthy(URI health) {
        try {
            return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(health).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body().contains("RUNNING");
        } catch (Exception e) {
            return false;
        }
    }

    /** The value of livesae_kafka_connected{component=...}, or -1 if not (yet) exported. */
    private static double gauge(URI metrics, String component) {
        try {
            String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            return body.lines().filter(l -> l.startsWith("livesae_kafka_connected{") && l.contains("component=\"" + component + "\""))
                    .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElse(-1);
        } catch (java.io.IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

}
