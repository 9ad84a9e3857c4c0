package dev.livesae.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HttpAuthTest {
    private final HttpClient http = HttpClient.newHttpClient();

    private int get(ServiceHttpServer server, String path, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url(path)));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    @Test
    void protectedRoutesAnswerOnlyWithTheCredentialsWhileMetricsAndHealthStayOpen(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("credentials");
        Files.writeString(file, "basic alice:correct-horse\n");
        HttpAuth basic = HttpAuth.load(file, Map.of());
        HttpAuth bearer = HttpAuth.load(null, Map.of(HttpAuth.ENV, "bearer s3cret-token-123"));
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (ServiceHttpServer server = ServiceHttpServer.start("auth-test", "127.0.0.1", 0, registry,
                () -> new ServiceHttpServer.Health(true, "RUNNING"))) {
            server.route("/basic", ex -> ServiceHttpServer.respond(ex, 200, "text/plain", "ok"), basic);
            server.route("/bearer", ex -> ServiceHttpServer.respond(ex, 200, "text/plain", "ok"), bearer);
            String good = "Basic " + Base64.getEncoder().encodeToString("alice:correct-horse".getBytes(StandardCharsets.UTF_8));
            String bad = "Basic " + Base64.getEncoder().encodeToString("alice:wrong-horse!".getBytes(StandardCharsets.UTF_8));
            assertThat(get(server, "/basic", null)).isEqualTo(401);
            assertThat(get(server, "/basic", bad)).isEqualTo(401);
            assertThat(get(server, "/basic", good)).isEqualTo(200);
            assertThat(get(server, "/bearer", "Bearer s3cret-token-123")).isEqualTo(200);
            assertThat(get(server, "/bearer", "Bearer s3cret-token-12")).isEqualTo(401);
            assertThat(get(server, "/bearer", good)).isEqualTo(401);
            assertThat(get(server, "/metrics", null)).isEqualTo(200);
            assertThat(get(server, "/health", null)).isEqualTo(200);
        } finally {
            registry.close();
        }
    }

    @Test
    void rejectsMalformedCredentialsNamingTheSourceNotTheSecret(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("c");
        Files.writeString(file, "token abcdefgh");
        assertThatThrownBy(() -> HttpAuth.load(file, Map.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(HttpAuth.FILE_FLAG).hasMessageNotContaining("abcdefgh");
        assertThatThrownBy(() -> HttpAuth.load(null, Map.of(HttpAuth.ENV, "bearer short"))).hasMessageContaining(HttpAuth.ENV);
        assertThatThrownBy(() -> HttpAuth.load(dir.resolve("missing"), Map.of())).hasMessageContaining(HttpAuth.FILE_FLAG);
        assertThat(HttpAuth.load(null, Map.of())).isNull();
        assertThat(HttpAuth.isLoopback("127.0.0.1")).isTrue();
        assertThat(HttpAuth.isLoopback("0.0.0.0")).isFalse();
    }
}
