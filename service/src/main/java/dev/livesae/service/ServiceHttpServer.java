package dev.livesae.service;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The one HTTP server of every livesae service: {@code GET /metrics} (Prometheus text format from the
 * service's registry), {@code GET /health} (200 when up, 503 when not, with a JSON body), and the service's own
 * routes added with {@link #route}. {@code --metrics-port} and {@code --metrics-host} mean the same for every
 * command: port -1 = no server, 0 = any free port, otherwise that port; the host is the address to bind
 * (127.0.0.1 by default, so nothing is reachable from other machines unless asked for).
 */
public final class ServiceHttpServer implements AutoCloseable {
    public static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    /** {@code --metrics-port} value that turns the server off. */
    public static final int OFF = -1;

    /** Whether the service is up, and a word or two on its state (e.g. the Kafka Streams state). */
    public record Health(boolean up, String state) {
    }

    private final HttpServer server;
    private final ExecutorService executor;

    private ServiceHttpServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Binds and starts the server.
     *
     * @param name   thread name prefix (e.g. "trainer-http")
     * @throws IllegalArgumentException naming {@code --metrics-port} for a port outside [0, 65535]
     * @throws UncheckedIOException     naming the address when it cannot be bound
     */
    public static ServiceHttpServer start(String name, String host, int port, PrometheusMeterRegistry registry,
                                          Supplier<Health> health) {
        checkPort(port);
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("--metrics-host must be an address to bind (got '" + host + "')");
        }
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind the HTTP endpoint to " + host + ":" + port + " (--metrics-host, "
                    + "--metrics-port): " + e.getMessage(), e);
        }
        ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        ServiceHttpServer s = new ServiceHttpServer(server, executor);
        s.route("/metrics", ex -> respond(ex, 200, PROMETHEUS_TEXT, registry.scrape()));
        s.route("/health", ex -> {
            Health h = health.get();
            respond(ex, h.up() ? 200 : 503, "application/json",
                    "{\"status\":\"" + (h.up() ? "UP" : "DOWN") + "\",\"state\":\"" + jsonEscape(h.state()) + "\"}");
        });
        server.start();
        return s;
    }

    /** Rejects a {@code --metrics-port} outside [-1, 65535] with a message naming the flag. */
    public static int checkPort(int port) {
        if (port < OFF || port > 65535) {
            throw new IllegalArgumentException("--metrics-port must be -1 (off), 0 (any free port) or a port in [1, 65535] (got "
                    + port + ")");
        }
        return port;
    }

    /**
     * Adds a route: requests whose path starts with {@code path} go to {@code handler}. Only GET and HEAD are
     * answered; the exchange is closed afterwards whatever the handler did.
     */
    public ServiceHttpServer route(String path, HttpHandler handler) {
        return route(path, handler, null);
    }

    /**
     * Adds a route that answers only requests carrying {@code auth}'s credentials (401 with a
     * {@code WWW-Authenticate} challenge otherwise); {@code auth} null = open, as {@link #route(String, HttpHandler)}.
     */
    public ServiceHttpServer route(String path, HttpHandler handler, HttpAuth auth) {
        server.createContext(path, ex -> {
            try {
                String method = ex.getRequestMethod();
                if (!"GET".equals(method) && !"HEAD".equals(method)) {
                    respond(ex, 405, "text/plain; charset=utf-8", "only GET and HEAD\n");
                } else if (auth != null && !auth.admits(ex)) {
                    ex.getResponseHeaders().set("WWW-Authenticate", auth.scheme() + " realm=\"livesae\"");
                    respond(ex, 401, "text/plain; charset=utf-8", "credentials required\n");
                } else {
                    handler.handle(ex);
                }
            } finally {
                ex.close();
            }
        });
        return this;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** {@code http://host:port} + {@code path}. */
    public String url(String path) {
        return "http://" + server.getAddress().getHostString() + ":" + port() + path;
    }

    /** Writes a whole response ({@code HEAD} gets the headers only). */
    public static void respond(HttpExchange ex, int status, String contentType, String body) throws IOException {
        respond(ex, status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    public static void respond(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", contentType);
        boolean head = "HEAD".equals(ex.getRequestMethod());
        ex.sendResponseHeaders(status, head ? -1 : body.length);
        if (!head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private static String jsonEscape(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
