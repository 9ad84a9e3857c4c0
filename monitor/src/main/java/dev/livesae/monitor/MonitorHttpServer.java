package dev.livesae.monitor;

import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

import com.sun.net.httpserver.HttpExchange;
import dev.livesae.service.HttpAuth;
import dev.livesae.service.ServiceHttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The monitor's routes on the service's HTTP server ({@link ServiceHttpServer}: {@code /metrics}, {@code /health}):
 * {@code /features/{id}} (with contexts, histogram and density history), {@code /features?offset&limit&sort&order&q}
 * (one page of the feature table), {@code /features/top?n=20}, {@code /streams}, {@code /drift} (the last drift
 * decision per stream, with the latents that moved most), and the explorer page at {@code /}. Feature answers come from {@link StateQuery} (Kafka
 * Streams interactive queries); with more than one stream, {@code ?sae_id=..&hookpoint=..} choose one.
 */
final class MonitorHttpServer {
    private static final Logger LOG = LoggerFactory.getLogger(MonitorHttpServer.class);

    /** Read access to the stream states. */
    interface StateQuery {
        Map<StreamKey, FeatureState> states();
    }

    private MonitorHttpServer() {
    }

    /** Adds the monitor's routes to {@code server}. */
    static void addRoutes(ServiceHttpServer server, StateQuery states) {
        addRoutes(server, states, Map::of);
    }

    /** Adds the monitor's routes, {@code /drift} answering from {@code drift} (the last DRIFT event per stream). */
    static void addRoutes(ServiceHttpServer server, StateQuery states, Supplier<Map<StreamKey, DriftEvent>> drift) {
        addRoutes(server, states, drift, new ExplorerViews.Sources(ContextQuery.NONE, VocabularyCache.NONE,
                new FeatureHistory(), ContextOptions.OFF), null);
    }

    /**
     * Adds the monitor's routes and the explorer ({@code /} and its assets under {@code /explorer/}); every one of
     * them requires {@code auth} when it is not null ({@code /metrics} and {@code /health} stay open: no user text).
     */
    static void addRoutes(ServiceHttpServer server, StateQuery states, Supplier<Map<StreamKey, DriftEvent>> drift,
                          ExplorerViews.Sources sources, HttpAuth auth) {
        server.route("/features", ex -> features(ex, states, sources), auth);
        server.route("/streams", ex -> streams(ex, states), auth);
        server.route("/drift", ex -> drift(ex, drift.get()), auth);
        server.route("/explorer/", ExplorerAssets::serve, auth);
        server.route("/", ExplorerAssets::serveIndex, auth);
    }

    /** The streams this process holds state for, for the page's stream selector. */
    private static void streams(HttpExchange ex, StateQuery query) throws IOException {
        try {
            var out = query.states().entrySet().stream()
                    .sorted(Map.Entry.comparingByKey(Comparator.comparing(StreamKey::toString)))
                    .map(e -> Map.of("saeId", e.getKey().saeId(), "hookpoint", e.getKey().hookpoint(),
                            "model", e.getValue().model, "dictionaryVersion", e.getValue().version, "dSae", e.getValue().dSae,
                            "tokensSeen", e.getValue().tokensSeen))
                    .toList();
            json(ex, 200, Map.of("streams", out));
        } catch (RuntimeException e) {
            LOG.warn("stream query failed", e);
            json(ex, 503, Map.of("error", "state not queryable now: " + e.getMessage()));
        }
    }

    /** The last DRIFT event of each stream this process runs, filtered by {@code sae_id} and {@code hookpoint}. */
    private static void drift(HttpExchange ex, Map<StreamKey, DriftEvent> latest) throws IOException {
        Map<String, String> params = params(ex.getRequestURI());
        String sae = params.get("sae_id");
        String hook = params.get("hookpoint");
        var events = latest.entrySet().stream()
                .filter(e -> (sae == null || e.getKey().saeId().equals(sae))
                        && (hook == null || e.getKey().hookpoint().equals(hook)))
                .sorted(Map.Entry.comparingByKey(Comparator.comparing(StreamKey::toString)))
                .map(Map.Entry::getValue)
                .toList();
        if (events.isEmpty()) {
            json(ex, 404, Map.of("error", latest.isEmpty() ? "no window compared with a baseline yet"
                    : "no stream " + sae + "@" + hook, "streams", latest.keySet().stream().map(StreamKey::toString).toList()));
            return;
        }
        json(ex, 200, Map.of("streams", events));
    }

    private static void features(HttpExchange ex, StateQuery query, ExplorerViews.Sources sources) throws IOException {
        try {
            String path = ex.getRequestURI().getPath();
            Map<String, String> params = params(ex.getRequestURI());
            boolean list = path.equals("/features") || path.equals("/features/");
            String rest = path.startsWith("/features/") ? path.substring("/features/".length()) : "";
            if (!list && (rest.isEmpty() || rest.contains("/"))) {
                json(ex, 404, Map.of("error", "use /features?offset=0&limit=50&sort=density&q=, /features/top?n=20 or /features/{id}"));
                return;
            }
            Map<StreamKey, FeatureState> states = query.states();
            FeatureState s = choose(states, params);
            if (s == null) {
                json(ex, 404, Map.of("error", states.isEmpty() ? "no code batches seen yet"
                        : "no stream " + params.get("sae_id") + "@" + params.get("hookpoint"), "streams",
                        states.keySet().stream().map(StreamKey::toString).toList()));
                return;
            }
            if (list) {
                json(ex, 200, ExplorerViews.page(s, sources, params.get("sort"), params.get("order"), params.get("q"),
                        Integer.parseInt(params.getOrDefault("offset", "0")), Integer.parseInt(params.getOrDefault("limit", "50"))));
            } else if (rest.equals("top")) {
                json(ex, 200, FeatureViews.top(s, Integer.parseInt(params.getOrDefault("n", "20"))));
            } else {
                json(ex, 200, ExplorerViews.detail(s, Integer.parseInt(rest), sources));
            }
        } catch (NumberFormatException e) {
            json(ex, 400, Map.of("error", "not an integer: " + e.getMessage()));
        } catch (IllegalArgumentException e) {
            json(ex, 400, Map.of("error", String.valueOf(e.getMessage())));
        } catch (RuntimeException e) {
            LOG.warn("feature query failed", e);
            json(ex, 503, Map.of("error", "state not queryable now: " + e.getMessage()));
        }
    }

    private static FeatureState choose(Map<StreamKey, FeatureState> states, Map<String, String> params) {
        String sae = params.get("sae_id");
        String hook = params.get("hookpoint");
        if (sae != null && hook != null) {
            return states.get(new StreamKey(sae, hook));
        }
        var matching = states.entrySet().stream()
                .filter(e -> (sae == null || e.getKey().saeId().equals(sae))
                        && (hook == null || e.getKey().hookpoint().equals(hook)))
                .toList();
        if (matching.size() > 1) {
            throw new IllegalArgumentException("several streams match; pass sae_id and hookpoint (streams: "
                    + matching.stream().map(e -> e.getKey().toString()).toList() + ")");
        }
        return matching.isEmpty() ? null : matching.get(0).getValue();
    }

    private static Map<String, String> params(URI uri) {
        Map<String, String> out = new HashMap<>();
        String q = uri.getRawQuery();
        if (q == null) {
            return out;
        }
        for (String pair : q.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private static void json(HttpExchange ex, int status, Object body) throws IOException {
        respond(ex, status, "application/json", new String(Json.bytes(body), StandardCharsets.UTF_8));
    }

    private static void respond(HttpExchange ex, int status, String type, String body) throws IOException {
        ServiceHttpServer.respond(ex, status, type, body);
    }
}
