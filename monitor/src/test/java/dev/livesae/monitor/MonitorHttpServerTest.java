package dev.livesae.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livesae.service.ServiceHttpServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTP endpoint over states built by the same code the topology uses. */
class MonitorHttpServerTest {
    private final Map<StreamKey, FeatureState> states = new HashMap<>();
    private final Map<StreamKey, DriftEvent> drift = new HashMap<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private ServiceHttpServer server;

    @BeforeEach
    void start() throws Exception {
        registry.counter("livesae.test.probe").increment();
        server = ServiceHttpServer.start("monitor-http-test", "127.0.0.1", 0, registry,
                () -> new ServiceHttpServer.Health(false, "REBALANCING_STUCK"));
        MonitorHttpServer.addRoutes(server, () -> states, () -> drift);
    }

    @AfterEach
    void stop() {
        server.close();
        registry.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static FeatureState state(String sae, int[][] firing) {
        StreamKey key = new StreamKey(sae, Codes.HOOK);
        FeatureState s = FeatureState.start(key, Codes.meta(1, 4, 2), 100, 100);
        s.add(Codes.batch(Codes.meta(1, 4, 2), firing), 0, firing.length);
        return s;
    }

    @Test
    void answersFromTheOpenWindowBeforeAnyWindowClosed() throws Exception {
        states.put(new StreamKey(Codes.SAE, Codes.HOOK), state(Codes.SAE, new int[][] {{1, 2}, {1}}));
        JsonNode top = Json.MAPPER.readTree(get("/features/top?n=1").body());
        assertThat(top.get("windowClosed").asBoolean()).isFalse();
        assertThat(top.at("/features/0/id").asInt()).isEqualTo(1);
        assertThat(top.at("/features/0/density").asDouble()).isEqualTo(1.0);
        JsonNode f = Json.MAPPER.readTree(get("/features/2").body());
        assertThat(f.get("count").asInt()).isEqualTo(1);
        assertThat(f.get("meanActivation").asDouble()).isCloseTo(1.2, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(f.get("baselineComplete").asBoolean()).isFalse();
        JsonNode never = Json.MAPPER.readTree(get("/features/0").body());
        assertThat(never.get("lastFiredToken").isNull()).isTrue();
    }

    @Test
    void driftServesTheLastDecisionPerStreamWithItsMovers() throws Exception {
        assertThat(get("/drift").statusCode()).isEqualTo(404);
        DriftDecision.Result decision = new DriftDecision.Result(500.0, 1e-9, -9.0, true, 1e-3, 40, 30.0, 1.5,
                java.util.List.of(new DriftDecision.Mover(7, 0.01, 0.2, 120.0)));
        for (String sae : new String[] {"a", "b"}) {
            StreamKey key = new StreamKey(sae, Codes.HOOK);
            drift.put(key, DriftEvent.drift(Codes.MODEL, key, 1, 4, new DriftMath.Scores(0.9, 0.1),
                    BaselineSource.FIRST_TOKENS, 100, 1L, decision, 2));
        }
        JsonNode all = Json.MAPPER.readTree(get("/drift").body());
        assertThat(all.get("streams")).hasSize(2);
        JsonNode b = Json.MAPPER.readTree(get("/drift?sae_id=b&hookpoint=" + Codes.HOOK).body());
        assertThat(b.get("streams")).hasSize(1);
        assertThat(b.at("/streams/0/saeId").asText()).isEqualTo("b");
        assertThat(b.at("/streams/0/decision/detected").asBoolean()).isTrue();
        assertThat(b.at("/streams/0/decision/movers/0/id").asInt()).isEqualTo(7);
        assertThat(b.at("/streams/0/decision/movers/0/windowDensity").asDouble()).isEqualTo(0.2);
        assertThat(b.at("/streams/0/consecutiveDetected").asInt()).isEqualTo(2);
        assertThat(get("/drift?sae_id=c").statusCode()).isEqualTo(404);
    }

    @Test
    void severalStreamsNeedSaeIdAndHookpoint() throws Exception {
        states.put(new StreamKey("a", Codes.HOOK), state("a", new int[][] {{0}}));
        states.put(new StreamKey("b", Codes.HOOK), state("b", new int[][] {{3}}));
        HttpResponse<String> ambiguous = get("/features/top");
        assertThat(ambiguous.statusCode()).isEqualTo(400);
        assertThat(ambiguous.body()).contains("pass sae_id and hookpoint");
        JsonNode b = Json.MAPPER.readTree(get("/features/top?sae_id=b").body());
        assertThat(b.at("/features/0/id").asInt()).isEqualTo(3);
        assertThat(get("/features/top?sae_id=c&hookpoint=x").statusCode()).isEqualTo(404);
    }

    @Test
    void reportsNoDataAndBadRequestsAndHealth() throws Exception {
        assertThat(get("/features/top").statusCode()).isEqualTo(404);
        assertThat(get("/features/top").body()).contains("no code batches seen yet");
        states.put(new StreamKey(Codes.SAE, Codes.HOOK), state(Codes.SAE, new int[][] {{0}}));
        assertThat(get("/features/x").statusCode()).isEqualTo(400);
        assertThat(get("/features/top?n=0").statusCode()).isEqualTo(400);
        HttpResponse<String> health = get("/health");
        assertThat(health.statusCode()).isEqualTo(503);
        assertThat(health.body()).contains("\"status\":\"DOWN\"", "REBALANCING_STUCK");
        HttpResponse<String> metrics = get("/metrics");
        assertThat(metrics.headers().firstValue("Content-Type")).contains(ServiceHttpServer.PROMETHEUS_TEXT);
        assertThat(metrics.body()).contains("livesae_test_probe_total 1.0");
    }
}
