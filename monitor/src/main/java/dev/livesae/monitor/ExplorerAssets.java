package dev.livesae.monitor;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

import com.sun.net.httpserver.HttpExchange;
import dev.livesae.service.ServiceHttpServer;

/** The explorer page's files, served from the jar (no CDN, works offline): {@code /} and {@code /explorer/*}. */
final class ExplorerAssets {
    private static final String ROOT = "/dev/livesae/monitor/explorer/";
    private static final Map<String, String> TYPES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "app.js", "text/javascript; charset=utf-8",
            "app.css", "text/css; charset=utf-8");

    private ExplorerAssets() {
    }

    /** {@code GET /} (any query, e.g. {@code ?feature=N}); other unknown paths are 404. */
    static void serveIndex(HttpExchange ex) throws IOException {
        if (!ex.getRequestURI().getPath().equals("/")) {
            ServiceHttpServer.respond(ex, 404, "text/plain; charset=utf-8", "not found\n");
            return;
        }
        send(ex, "index.html");
    }

    /** {@code GET /explorer/<file>} for the files in {@link #TYPES}. */
    static void serve(HttpExchange ex) throws IOException {
        String name = ex.getRequestURI().getPath().substring("/explorer/".length());
        if (!TYPES.containsKey(name)) {
            ServiceHttpServer.respond(ex, 404, "text/plain; charset=utf-8", "not found\n");
            return;
        }
        send(ex, name);
    }

    private static void send(HttpExchange ex, String name) throws IOException {
        byte[] body;
        try (InputStream in = ExplorerAssets.class.getResourceAsStream(ROOT + name)) {
            if (in == null) {
                throw new IllegalStateException("explorer asset " + name + " is missing from the jar");
            }
            body = in.readAllBytes();
        }
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        ex.getResponseHeaders().set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:");
        ServiceHttpServer.respond(ex, 200, TYPES.get(name), body);
    }
}
