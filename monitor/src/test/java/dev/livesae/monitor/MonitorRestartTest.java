package dev.livesae.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import dev.livesae.kafka.test.KafkaBrokerExtension;
import dev.livesae.wire.CodeBatch;
import dev.livesae.wire.CodeBatchSerde;
import dev.livesae.wire.CodeMeta;
import dev.livesae.wire.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stopped monitor resumes its open window: the second instance starts with an empty state directory, so it
 * restores the state store from its changelog on the broker.
 */
class MonitorRestartTest {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    static final String MODEL = "restart-model";
    static final String HOOK = "blocks.2.hook_resid_post";
    static final String CODES = Topics.codes(MODEL, HOOK);
    static final StreamKey KEY = new StreamKey("sae-restart", HOOK);

    @TempDir
    Path tmp;

    @Test
    void openWindowSurvivesARestartThroughTheChangelog() throws Exception {
        KAFKA.createTopic(CODES, 1);
        String app = "monitor-restart-" + System.nanoTime();
        CodeMeta meta = new CodeMeta(KEY.saeId(), 2, MODEL, HOOK, 16, 8, 1);
        try (CodeBatchSerde serde = new CodeBatchSerde();
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig())) {
            try (MonitorService first = start(app, tmp.resolve("a"))) {
                send(producer, serde, Codes.batch(meta, Codes.repeat(6, 0)));   // window 0: 4 x latent 0; 2 open
                awaitTokens(first, 6);
            }
            try (MonitorService second = start(app, tmp.resolve("b"))) {
                send(producer, serde, Codes.batch(meta, Codes.repeat(2, 7)));   // closes window 1: 2 x 0, 2 x 7
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (second.latestWindow(KEY).isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                WindowSummary w = second.latestWindow(KEY).orElseThrow(() -> new AssertionError("no window after restart"));
                assertThat(w.windowIndex()).isEqualTo(1);
                assertThat(w.firstToken()).isEqualTo(4);
                assertThat(w.firingCounts()).containsExactly(2, 0, 0, 0, 0, 0, 0, 2);
                assertThat(w.drift().baselineSource()).isEqualTo("first-tokens");
            }
        }
    }

    @Test
    void contextsSurviveARestartThroughTheChangelog() throws Exception {
        String codes = Topics.codes(MODEL, "blocks.4.hook_resid_post");
        KAFKA.createTopic(codes, 1);
        String app = "monitor-restart-ctx-" + System.nanoTime();
        CodeMeta meta = new CodeMeta("sae-ctx", 0, MODEL, "blocks.4.hook_resid_post", 16, 8, 1);
        CodeBatch base = Codes.batch(meta, Codes.repeat(5, 2));
        int[] tokens = {101, 2023, 2003, 1037, 102};
        CodeBatch withTokens = new CodeBatch(meta, new long[] {9, 9, 9, 9, 9}, new int[] {0, 1, 2, 3, 4}, tokens,
                base.latentIndices(), new float[] {0.5f, 1.5f, 3.0f, 1.0f, 0.25f}, base.reconError(), base.centeredSqNorm());
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        try (CodeBatchSerde serde = new CodeBatchSerde();
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig())) {
            try (MonitorService first = start(app, tmp.resolve("a"), codes)) {
                producer.send(new ProducerRecord<>(codes, serde.serializer().serialize(codes, withTokens))).get();
                awaitTokens(first, 5);
                // histograms reach the store with the next flush (1 s); a clean close commits it to the changelog
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (histogramTotal(http, first) < 5 && System.nanoTime() < until) {
                    Thread.sleep(100);
                }
            }
            try (MonitorService second = start(app, tmp.resolve("b"), codes)) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                com.fasterxml.jackson.databind.JsonNode f = null;
                while (System.nanoTime() < deadline) {
                    var res = http.send(java.net.http.HttpRequest.newBuilder(second.httpUri().resolve("/features/2")).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString());
                    if (res.statusCode() == 200) {
                        f = Json.MAPPER.readTree(res.body());
                        if (f.path("contexts").size() > 0) {
                            break;
                        }
                    }
                    Thread.sleep(100);
                }
                assertThat(f).as("feature 2 served after the restart").isNotNull();
                assertThat(f.path("contexts").size()).as("examples restored from the changelog").isEqualTo(5);
                assertThat(f.at("/contexts/0/activation").floatValue()).isEqualTo(3.0f);
                assertThat(f.at("/contexts/0/firing").asInt()).isEqualTo(2);
                assertThat(f.at("/contexts/0/tokenIds/2").asInt()).isEqualTo(2003);
                assertThat(f.at("/histogram/total").asLong()).isEqualTo(5);
            }
        }
    }

    private static long histogramTotal(java.net.http.HttpClient http, MonitorService m) throws Exception {
        var res = http.send(java.net.http.HttpRequest.newBuilder(m.httpUri().resolve("/features/2")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        return res.statusCode() == 200 ? Json.MAPPER.readTree(res.body()).at("/histogram/total").asLong(0) : 0;
    }

    private static MonitorService start(String app, Path stateDir) throws InterruptedException {
        return start(app, stateDir, CODES);
    }

    private static MonitorService start(String app, Path stateDir, String codes) throws InterruptedException {
        MonitorOptions o = MonitorOptions.forTopics(KAFKA.bootstrapServers(), List.of(codes)).withWindowTokens(4)
                .withApplicationId(app).withMetrics("127.0.0.1", 0);
        MonitorService m = MonitorService.start(o, Map.of(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString(),
                StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100), TelemetryListener.NONE);
        assertThat(m.awaitRunning(Duration.ofSeconds(60))).as("state " + m.state()).isTrue();
        return m;
    }

    private static void awaitTokens(MonitorService m, double tokens) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            var c = m.registry().find("livesae.monitor.tokens").counter();
            if (c != null && c.count() >= tokens) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("monitor did not count " + tokens + " tokens");
    }

    private static void send(KafkaProducer<byte[], byte[]> p, CodeBatchSerde serde, CodeBatch b) throws Exception {
        p.send(new ProducerRecord<>(CODES, serde.serializer().serialize(CODES, b))).get();
    }

    private static Properties producerConfig() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }
}
