package dev.livesae.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livesae.kafka.test.KafkaBrokerExtension;
import dev.livesae.wire.CodeBatch;
import dev.livesae.wire.CodeBatchSerde;
import dev.livesae.wire.CodeMeta;
import dev.livesae.wire.DeadLetters;
import dev.livesae.wire.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The monitor on the embedded broker, scraped by a real Prometheus (Debian's binary) that this test starts.
 * Codes are synthetic and labelled so: the first window fires latents 0..31 in turn, the next fires 32..63,
 * a drift the monitor must see and Prometheus must report.
 */
class MonitorPrometheusIntegrationTest {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    static final String MODEL = "it-model";
    static final String HOOK = "blocks.1.hook_resid_post";
    static final String CODES = Topics.codes(MODEL, HOOK);
    static final StreamKey KEY = new StreamKey("sae-it", HOOK);
    static final int W = 64;
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path tmp;

    static MonitorService monitor;
    static Process prometheus;
    static int prometheusPort;

    @BeforeAll
    static void start() throws Exception {
        Promtool.require("prometheus");
        KAFKA.createTopic(CODES, 1);
        MonitorOptions options = MonitorOptions.forTopics(KAFKA.bootstrapServers(), List.of(CODES))
                .withWindowTokens(W).withApplicationId("monitor-it-" + System.nanoTime()).withMetrics("127.0.0.1", 0)
                .withTopN(5);
        monitor = MonitorService.start(options, Map.of(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100,
                StreamsConfig.STATE_DIR_CONFIG, tmp.resolve("state").toString()), TelemetryListener.NONE);
        assertThat(monitor.awaitRunning(Duration.ofSeconds(60))).as("streams state " + monitor.state()).isTrue();

        CodeMeta meta = new CodeMeta(KEY.saeId(), 5, MODEL, HOOK, 16, 64, 4);
        try (CodeBatchSerde serde = new CodeBatchSerde();
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig())) {
            producer.send(new ProducerRecord<>(CODES, serde.serializer().serialize(CODES, rows(meta, 0)))).get();
            producer.send(new ProducerRecord<>(CODES, serde.serializer().serialize(CODES, rows(meta, 32)))).get();
            producer.send(new ProducerRecord<>(CODES, "not arrow".getBytes(StandardCharsets.UTF_8))).get();
        }
        await("a drift value from the monitor", () -> monitor.latestDrift(KEY).filter(s -> s.psi() > 0).isPresent());

        prometheusPort = freePort();
        Path config = tmp.resolve("prometheus.yml");
        Files.writeString(config, """
                global:
                  scrape_interval: 1s
                scrape_configs:
                  - job_name: monitor
                    static_configs:
                      - targets: ["127.0.0.1:%d"]
                """.formatted(monitor.httpPort()));
        prometheus = new ProcessBuilder(Promtool.require("prometheus").toString(),
                "--config.file=" + config, "--storage.tsdb.path=" + tmp.resolve("tsdb"),
                "--web.listen-address=127.0.0.1:" + prometheusPort)
                .redirectErrorStream(true).redirectOutput(tmp.resolve("prometheus.log").toFile()).start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (prometheus != null) {
            prometheus.destroy();
            if (!prometheus.waitFor(20, TimeUnit.SECONDS)) {
                prometheus.destroyForcibly();
            }
        }
        if (monitor != null) {
            monitor.close();
        }
    }

    /** 64 tokens; token t fires latents first + (t % 32) and first + ((t + 1) % 32), the other two slots are off. */
    static CodeBatch rows(CodeMeta meta, int first) {
        int[][] firing = new int[W][];
        for (int t = 0; t < W; t++) {
            firing[t] = new int[] {first + t % 32, first + (t + 1) % 32};
        }
        return Codes.batch(meta, firing);
    }

    @Test
    void prometheusScrapesTheDriftMetricFromTheMonitor() throws Exception {
        double psi = monitor.latestDrift(KEY).orElseThrow().psi();
        String query = "livesae_monitor_drift_psi{sae_id=\"sae-it\"}";
        JsonNode[] result = new JsonNode[1];
        await("Prometheus to return " + query, () -> {
            JsonNode r = get("http://127.0.0.1:" + prometheusPort + "/api/v1/query?query="
                    + URLEncoder.encode(query, StandardCharsets.UTF_8));
            result[0] = r;
            return r != null && r.at("/data/result").size() == 1;
        });
        JsonNode series = result[0].at("/data/result/0");
        assertThat(series.at("/metric/hookpoint").asText()).isEqualTo(HOOK);
        assertThat(series.at("/metric/job").asText()).isEqualTo("monitor");
        assertThat(Double.parseDouble(series.at("/value/1").asText())).isCloseTo(psi, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(psi).isGreaterThan(1.0);
    }

    @Test
    void featuresEndpointServesTopAndSingleFeatureFromInteractiveQueries() throws Exception {
        JsonNode top = get(monitor.httpUri() + "/features/top?n=3");
        assertThat(top.get("saeId").asText()).isEqualTo("sae-it");
        assertThat(top.get("windowIndex").asLong()).isEqualTo(1);
        assertThat(top.get("features")).hasSize(3);
        assertThat(top.at("/features/0/id").asInt()).isEqualTo(32);
        assertThat(top.at("/features/0/density").asDouble()).isEqualTo(4.0 / 64);
        assertThat(top.at("/features/0/baselineDensity").asDouble()).isZero();

        JsonNode f = get(monitor.httpUri() + "/features/3");
        assertThat(f.get("id").asInt()).isEqualTo(3);
        assertThat(f.get("count").asInt()).isZero();
        assertThat(f.get("baselineDensity").asDouble()).isEqualTo(4.0 / 64);
        assertThat(f.get("lastFiredToken").asLong()).isEqualTo(35);
        assertThat(f.get("tokensSinceFired").asLong()).isEqualTo(127 - 35);

        HttpResponse<String> bad = HTTP.send(HttpRequest.newBuilder(URI.create(monitor.httpUri() + "/features/64")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("[0, 64)");
        assertThat(get(monitor.httpUri() + "/health").get("status").asText()).isEqualTo("UP");
    }

    @Test
    void metricsEndpointOutputPassesPromtoolCheckMetrics() throws Exception {
        String text = HTTP.send(HttpRequest.newBuilder(URI.create(monitor.httpUri() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(text).contains("livesae_monitor_windows_closed_windows_total{hookpoint=\"" + HOOK + "\",sae_id=\"sae-it\"} 2.0");
        assertThat(text).contains("kafka_stream_");
        Promtool.Result r = Promtool.checkMetrics(text);
        assertThat(r.exit()).as(r.output()).isZero();
    }

    @Test
    void undecodableRecordReachesTheDeadLetterTopicOnTheBroker() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "dlq-reader-" + System.nanoTime());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(List.of(Topics.deadLetter(CODES)));
            List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (got.isEmpty() && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(got::add);
            }
            assertThat(got).hasSize(1);
            assertThat(DeadLetters.header(got.get(0).headers(), DeadLetters.REASON)).isEqualTo("UNDECODABLE");
            assertThat(DeadLetters.header(got.get(0).headers(), DeadLetters.SOURCE_OFFSET)).isEqualTo("2");
            assertThat(DeadLetters.header(got.get(0).headers(), DeadLetters.COMPONENT)).isEqualTo("monitor");
        }
    }

    static Properties producerConfig() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }

    static JsonNode get(String url) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        return r.statusCode() / 100 == 2 ? Json.MAPPER.readTree(r.body()) : null;
    }

    static void await(String what, Check check) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            try {
                if (check.ok()) {
                    return;
                }
            } catch (IOException e) {
                // not up yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("timed out waiting for " + what);
    }

    interface Check {
        boolean ok() throws Exception;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
