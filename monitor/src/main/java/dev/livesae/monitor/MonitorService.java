package dev.livesae.monitor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import dev.livesae.service.ServiceHttpServer;
import dev.livesae.wire.Topics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import dev.livesae.clients.TopicSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The monitor as a service: runs {@link MonitorTopology} on a broker, serves {@code /metrics}, {@code /health} and
 * {@code /features} over HTTP, and keeps the latest window summary and drift values per stream for in-process
 * callers (the demo).
 *
 * <pre>{@code
 * try (MonitorService m = MonitorService.start(MonitorOptions.forTopics(bootstrap, List.of(Topics.codes(model, hook)))
 *         .withWindowTokens(4096).withMetrics("127.0.0.1", 0))) {
 *     m.awaitRunning(Duration.ofSeconds(30));
 *     Optional<WindowSummary> w = m.latestWindow(new StreamKey(saeId, hook));
 * }
 * }</pre>
 */
public final class MonitorService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MonitorService.class);
    static final Map<String, String> OUTPUT_TOPIC_CONFIG =
            Map.of("max.message.bytes", Integer.toString(MonitorTopology.MAX_MESSAGE_BYTES));

    private final MonitorOptions options;
    private final PrometheusMeterRegistry registry;
    private final Admin admin;
    private final KafkaStreams streams;
    private final KafkaStreamsMetrics streamsMetrics;
    private final ServiceHttpServer http;
    private final Path tempStateDir;
    private final Map<StreamKey, WindowSummary> latestWindows = new ConcurrentHashMap<>();
    private final Map<StreamKey, DriftEvent> latestDrift = new ConcurrentHashMap<>();
    private final Map<StreamKey, DriftEvent> latestTests = new ConcurrentHashMap<>();
    private final FeatureHistory history = new FeatureHistory();

    private MonitorService(MonitorOptions options, TopicSettings topicSettings, Map<String, ?> streamsOverrides,
                           TelemetryListener extra) throws IOException {
        this.options = options;
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().meterFilter(new KafkaMeterNames());
        MonitorMetrics metrics = new MonitorMetrics();
        metrics.bindTo(registry);
        this.admin = Admin.create(options.kafka().admin(options.applicationId() + "-admin"));
        TopicProvisioner provisioner = TopicProvisioner.admin(admin, topicSettings, OUTPUT_TOPIC_CONFIG);
        Map<String, String> compacted = new HashMap<>(OUTPUT_TOPIC_CONFIG);
        compacted.put("cleanup.policy", "compact");
        TopicProvisioner.admin(admin, topicSettings, compacted).ensure(java.util.Set.of(Topics.BASELINES));
        provisioner.ensure(new HashSet<>(options.topics()));

        this.tempStateDir = options.stateDir() == null ? Files.createTempDirectory("livesae-monitor-") : null;
        Map<String, Object> overrides = new HashMap<>(streamsOverrides);
        if (tempStateDir != null) {
            overrides.putIfAbsent("state.dir", tempStateDir.toString());
        }
        TelemetryListener listener = new TelemetryListener() {
            @Override
            public void onWindow(WindowSummary s) {
                latestWindows.put(new StreamKey(s.saeId(), s.hookpoint()), s);
                history.onWindow(s);
                extra.onWindow(s);
            }

            @Override
            public void onDrift(DriftEvent e) {
                latestDrift.put(new StreamKey(e.saeId(), e.hookpoint()), e);
                if (e.type() == DriftEvent.Type.DRIFT) {
                    latestTests.put(new StreamKey(e.saeId(), e.hookpoint()), e);
                }
                extra.onDrift(e);
            }
        };
        this.streams = new KafkaStreams(MonitorTopology.build(options, metrics, listener, provisioner),
                MonitorTopology.streamsConfig(options, overrides));
        this.streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(registry);
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("monitor stream thread failed; shutting the monitor down (/health reports DOWN)", e);
            return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        streams.start();
        if (options.metricsPort() == ServiceHttpServer.OFF) {
            this.http = null;
        } else {
            this.http = ServiceHttpServer.start("monitor-http", options.metricsHost(), options.metricsPort(), registry, () -> {
                KafkaStreams.State st = streams.state();
                return new ServiceHttpServer.Health(st == KafkaStreams.State.RUNNING
                        || st == KafkaStreams.State.REBALANCING, st.name());
            });
            ContextQuery contexts = options.contexts().enabled() ? new StoreContextQuery() : ContextQuery.NONE;
            VocabularyCache vocabulary = new VocabularyCache(options.kafka(), options.applicationId() + "-vocabulary");
            MonitorHttpServer.addRoutes(http, this::states, () -> Map.copyOf(latestTests),
                    new ExplorerViews.Sources(contexts, vocabulary, history, options.contexts()), options.httpAuth());
        }
        LOG.info("monitor reading {} on {}; {}", options.topicPattern() != null
                ? "pattern " + options.topicPattern() : options.topics(), options.bootstrap(),
                http == null ? "no HTTP endpoint" : http.url("/metrics"));
    }

    /** Starts the topology and the HTTP endpoint. */
    public static MonitorService start(MonitorOptions options) {
        return start(options, Map.of(), TelemetryListener.NONE);
    }

    /** Starts with Kafka Streams config overrides and an extra in-process listener. */
    public static MonitorService start(MonitorOptions options, Map<String, ?> streamsOverrides, TelemetryListener listener) {
        return start(options, TopicSettings.brokerDefaults(), streamsOverrides, listener);
    }

    /**
     * As {@link #start(MonitorOptions, Map, TelemetryListener)}, creating missing topics (codes inputs, telemetry,
     * baselines, dead letters) with {@code topicSettings} (partitions, replication factor; empty = broker default).
     */
    public static MonitorService start(MonitorOptions options, TopicSettings topicSettings, Map<String, ?> streamsOverrides,
                                       TelemetryListener listener) {
        try {
            return new MonitorService(options, topicSettings, streamsOverrides, listener);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the monitor's HTTP endpoint on " + options.metricsHost() + ":"
                    + options.metricsPort(), e);
        }
    }

    public MonitorOptions options() {
        return options;
    }

    /** The port of the HTTP endpoint (useful with {@code --metrics-port 0}). */
    public int httpPort() {
        return requireHttp().port();
    }

    public URI httpUri() {
        return URI.create(requireHttp().url(""));
    }

    private ServiceHttpServer requireHttp() {
        if (http == null) {
            throw new IllegalStateException("the monitor runs without an HTTP endpoint (--metrics-port -1)");
        }
        return http;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    /** Waits until Kafka Streams is RUNNING; false on timeout or if it failed. */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            KafkaStreams.State s = streams.state();
            if (s == KafkaStreams.State.RUNNING) {
                return true;
            }
            if (s == KafkaStreams.State.ERROR || s == KafkaStreams.State.NOT_RUNNING) {
                return false;
            }
            Thread.sleep(50);
        }
        return false;
    }

    /** The latest closed window of a stream (from this process's tasks). */
    public Optional<WindowSummary> latestWindow(StreamKey key) {
        return Optional.ofNullable(latestWindows.get(key));
    }

    public Map<StreamKey, WindowSummary> latestWindows() {
        return Map.copyOf(latestWindows);
    }

    /** PSI and JS of the latest window compared with its baseline, empty before the first comparison. */
    public Optional<DriftMath.Scores> latestDrift(StreamKey key) {
        WindowSummary w = latestWindows.get(key);
        return w == null || w.drift() == null ? Optional.empty()
                : Optional.of(new DriftMath.Scores(w.drift().psi(), w.drift().jsBits()));
    }

    /** The latest event on the drift topic of a stream (BASELINE, DRIFT or REBASE). */
    public Optional<DriftEvent> latestDriftEvent(StreamKey key) {
        return Optional.ofNullable(latestDrift.get(key));
    }

    /** The last DRIFT event (window compared with its baseline) of each stream, as served on {@code /drift}. */
    public Map<StreamKey, DriftEvent> latestDriftTests() {
        return Map.copyOf(latestTests);
    }

    /** Stream states through interactive queries on {@value MonitorTopology#STATE_STORE}. */
    Map<StreamKey, FeatureState> states() {
        ReadOnlyKeyValueStore<String, byte[]> store = streams.store(StoreQueryParameters.fromNameAndType(
                MonitorTopology.STATE_STORE, QueryableStoreTypes.keyValueStore()));
        Map<StreamKey, FeatureState> out = new HashMap<>();
        try (KeyValueIterator<String, byte[]> it = store.all()) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                out.put(StreamKey.fromStoreKey(kv.key), FeatureState.fromBytes(kv.value));
            }
        }
        return out;
    }

    /** The contexts store through interactive queries. */
    private final class StoreContextQuery implements ContextQuery {
        private ReadOnlyKeyValueStore<String, byte[]> store() {
            return streams.store(StoreQueryParameters.fromNameAndType(MonitorTopology.CONTEXT_STORE,
                    QueryableStoreTypes.keyValueStore()));
        }

        @Override
        public boolean enabled() {
            return true;
        }

        @Override
        public byte[] get(String key) {
            return store().get(key);
        }

        @Override
        public Map<String, byte[]> scan(String prefix) {
            Map<String, byte[]> out = new HashMap<>();
            try (KeyValueIterator<String, byte[]> it = store().prefixScan(prefix, new StringSerializer())) {
                while (it.hasNext()) {
                    KeyValue<String, byte[]> kv = it.next();
                    out.put(kv.key, kv.value);
                }
            }
            return out;
        }
    }

    /** The explorer page, {@code http://host:port/}. */
    public URI pageUri() {
        return URI.create(requireHttp().url("/"));
    }

    @Override
    public void close() {
        if (http != null) {
            http.close();
        }
        // leave the group so a restarted monitor gets its tasks at once, not after the session timeout
        streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(Duration.ofSeconds(20)));
        streamsMetrics.close();
        admin.close(Duration.ofSeconds(5));
        registry.close();
        if (tempStateDir != null) {
            deleteTree(tempStateDir);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            List<Path> all = paths.sorted(Comparator.reverseOrder()).toList();
            for (Path p : all) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.warn("could not delete state directory {}: {}", dir, e.getMessage());
        }
    }
}
