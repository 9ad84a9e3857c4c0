package dev.livesae.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class ServiceHttpServerTest {
    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> send(String url, String method) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).method(method, HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesMetricsHealthAndRoutesOnOneServer() throws Exception {
        AtomicBoolean up = new AtomicBoolean(true);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (ServiceHttpServer server = ServiceHttpServer.start("test-http", "127.0.0.1", 0, registry,
                     () -> new ServiceHttpServer.Health(up.get(), up.get() ? "RUNNING" : "PENDING_\"ERROR\""))) {
            registry.counter("livesae.test.things", "kind", "a").increment(3);
            server.route("/hello", ex -> ServiceHttpServer.respond(ex, 200, "text/plain", "hi"));
            HttpResponse<String> metrics = send(server.url("/metrics"), "GET");
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.headers().firstValue("Content-Type")).contains(ServiceHttpServer.PROMETHEUS_TEXT);
            assertThat(metrics.body()).contains("livesae_test_things_total{kind=\"a\"} 3.0");
            assertThat(send(server.url("/health"), "GET").body()).isEqualTo("{\"status\":\"UP\",\"state\":\"RUNNING\"}");
            up.set(false);
            HttpResponse<String> down = send(server.url("/health"), "GET");
            assertThat(down.statusCode()).isEqualTo(503);
            assertThat(down.body()).isEqualTo("{\"status\":\"DOWN\",\"state\":\"PENDING_\\\"ERROR\\\"\"}");
            assertThat(send(server.url("/hello"), "GET").body()).isEqualTo("hi");
            assertThat(send(server.url("/hello"), "HEAD").body()).isEmpty();
            assertThat(send(server.url("/metrics"), "POST").statusCode()).isEqualTo(405);
            assertThat(send(server.url("/nothing-here"), "GET").statusCode()).isEqualTo(404);
        }
    }

    @Test
    void rejectsBadPortsNamingTheFlagAndReportsATakenAddress() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        {
            assertThatThrownBy(() -> ServiceHttpServer.checkPort(-2)).hasMessageContaining("--metrics-port").hasMessageContaining("-2");
            assertThatThrownBy(() -> ServiceHttpServer.checkPort(70000)).hasMessageContaining("--metrics-port");
            assertThat(ServiceHttpServer.checkPort(-1)).isEqualTo(ServiceHttpServer.OFF);
            try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
                assertThatThrownBy(() -> ServiceHttpServer.start("t", "127.0.0.1", taken.getLocalPort(), registry,
                        () -> new ServiceHttpServer.Health(true, "")))
                        .hasMessageContaining("127.0.0.1:" + taken.getLocalPort()).hasMessageContaining("--metrics-port");
            }
        }
    }
}
