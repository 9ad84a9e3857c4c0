package dev.livesae.monitor;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;

import dev.livesae.wire.Topics;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import dev.livesae.clients.KafkaClientConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import dev.livesae.wire.CodeBatchSerde;
import dev.livesae.wire.WireAllocator;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The monitor's Kafka Streams topology, declared once; {@code MonitorService} runs it and tests drive it with
 * {@code TopologyTestDriver}.
 *
 * <pre>
 * codes.* (bytes) ─▶ decode ─┬─ rejected ─▶ dead-letter ─────────────────────────────────────────┐
 *                            └─ ok ─▶ codes-by-sae (repartition by SAE) ─┬▶ telemetry [monitor-state] ─┴─▶ sink:
 *                                                                        └▶ contexts [monitor-contexts] (--contexts on)
 *                                              ▲ reads [monitor-pinned-baselines]    dlq.&lt;source&gt;,
 * telemetry.baselines (global) ─▶ pinned-baselines                                   telemetry.windows.&lt;m&gt;.&lt;h&gt;,
 *                                                                                   telemetry.drift.&lt;m&gt;.&lt;h&gt;
 * </pre>
 */
public final class MonitorTopology {
    /** Per-stream {@link FeatureState}: open window, baseline, last closed window, last firings. */
    public static final String STATE_STORE = "monitor-state";
    /**
     * Per feature of each stream's current dictionary version: top and sampled examples (token windows) and the
     * activation histogram ({@link ContextKeys}); only with {@code --contexts on}.
     */
    public static final String CONTEXT_STORE = "monitor-contexts";
    /** Pinned baselines from {@link Topics#BASELINES}, keyed {@code <saeId>/<dictionaryVersion>}. */
    public static final String PINNED_STORE = "monitor-pinned-baselines";
    /** Store values (a state of d_sae=24576 is about 1 MB) are larger than Kafka's 1 MB default. */
    static final int MAX_MESSAGE_BYTES = 64 << 20;
    /** Name of the repartition step; Kafka Streams' internal topic is {@code <application.id>-codes-by-sae-repartition}. */
    public static final String BY_SAE = "codes-by-sae";

    private MonitorTopology() {
    }

    /** The topology {@code main} and tests run. */
    public static Topology build(MonitorOptions options, MonitorMetrics metrics, TelemetryListener listener) {
        return build(options, metrics, listener, TopicProvisioner.NONE);
    }

    /** The topology, creating output topics through {@code topics} before first writing to them. */
    public static Topology build(MonitorOptions options, MonitorMetrics metrics, TelemetryListener listener,
                                 TopicProvisioner topics) {
        Baseline fileBaseline = options.baselineFile() == null ? null : Baseline.read(options.baselineFile());
        StreamsBuilder builder = new StreamsBuilder();
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(STATE_STORE),
                        Serdes.String(), Serdes.ByteArray())
                .withCachingEnabled()
                .withLoggingEnabled(Map.of("max.message.bytes", Integer.toString(MAX_MESSAGE_BYTES))));
        builder.addGlobalStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(PINNED_STORE),
                        Serdes.String(), Serdes.ByteArray()).withLoggingDisabled(),
                Topics.BASELINES, Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("pinned-baselines-source"),
                PinnedBaselineUpdater::new);

        Consumed<byte[], byte[]> raw = Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("codes-source");
        KStream<byte[], byte[]> codes = options.topicPattern() != null
                ? builder.stream(Pattern.compile(options.topicPattern()), raw)
                : builder.stream(options.topics(), raw);
        SaeAdmission admission = new SaeAdmission(options.maxSaes());
        metrics.trackSaes(admission);
        KStream<String, Decoded> decoded = codes.process(() -> new DecodeProcessor(options.decodeLimits(), admission),
                Named.as("decode"));
        Map<String, KStream<String, Decoded>> branches = decoded.split(Named.as("decoded-"))
                .branch((k, v) -> v instanceof Decoded.Rejected, Branched.as("rejected"))
                .defaultBranch(Branched.as("ok"));
        KStream<byte[], Outbound> deadLetters = branches.get("decoded-rejected")
                .process(() -> new DeadLetterProcessor(metrics, topics), Named.as("dead-letter"));
        KStream<String, Decoded> ok = branches.get("decoded-ok");
        if (options.saePartitions() > 0) {
            // spread SAEs, not input partition numbers, over tasks and so over instances: with code topics of one
            // partition each, every topic's partition 0 would otherwise land in one task on one instance
            ok = ok.mapValues(v -> ((Decoded.Ok) v).batch(), Named.as("codes-by-sae-unwrap"))
                    .repartition(Repartitioned.with(Serdes.String(), new CodeBatchSerde(WireAllocator.root(), options.decodeLimits()))
                            .withName(BY_SAE).withNumberOfPartitions(options.saePartitions()))
                    .mapValues(b -> (Decoded) new Decoded.Ok(b), Named.as("codes-by-sae-wrap"));
        }
        if (options.contexts().enabled()) {
            builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(CONTEXT_STORE),
                            Serdes.String(), Serdes.ByteArray())
                    .withCachingEnabled()
                    .withLoggingEnabled(contextChangelogConfig(options.contexts())));
            ok.process(() -> new ContextProcessor(options.contexts()), Named.as("contexts"), CONTEXT_STORE);
        }
        KStream<byte[], Outbound> telemetry = ok
                .process(() -> new TelemetryProcessor(options, metrics, listener, fileBaseline, topics),
                        Named.as("telemetry"), STATE_STORE);
        deadLetters.merge(telemetry, Named.as("outbound"))
                .to((key, value, context) -> value.topic(),
                        Produced.with(Serdes.ByteArray(), Outbound.serde()).withName("outbound-sink"));
        return builder.build();
    }

    /**
     * The contexts changelog rolls segments at least every half retention (between 10 minutes and a day), so the
     * cleaner can compact away superseded and swept examples soon after --context-retention.
     */
    static Map<String, String> contextChangelogConfig(ContextOptions contexts) {
        long half = contexts.retention().toMillis() / 2;
        long segment = Math.max(10 * 60_000L, Math.min(24 * 3_600_000L, half));
        return Map.of("max.message.bytes", Integer.toString(MAX_MESSAGE_BYTES), "segment.ms", Long.toString(segment),
                "delete.retention.ms", Long.toString(segment));
    }

    /**
     * Streams configuration: the monitor's tunable defaults, then the user's client properties (reaching every
     * internal client), then what the monitor owns (application id, processing guarantee, serdes); {@code overrides} (tests, benches)
     * win over all.
     */
    public static Properties streamsConfig(MonitorOptions options, Map<String, ?> overrides) {
        Map<String, Object> tunable = new HashMap<>();
        tunable.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000);
        tunable.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        tunable.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), MAX_MESSAGE_BYTES);
        tunable.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
        // internal topics (the store's changelog, the by-SAE repartition topic) carry whole code batches and states
        tunable.put(StreamsConfig.topicPrefix("max.message.bytes"), Integer.toString(MAX_MESSAGE_BYTES));
        if (options.stateDir() != null) {
            tunable.put(StreamsConfig.STATE_DIR_CONFIG, options.stateDir().toString());
        }
        // exactly once: input offsets, outputs (windows, drift, dead letters) and the state store's changelog
        // commit in one transaction; the consumers read read_committed (docs/monitor.md, delivery guarantees)
        Map<String, Object> owned = Map.of(
                StreamsConfig.APPLICATION_ID_CONFIG, options.applicationId(),
                StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2,
                StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class.getName(),
                StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class.getName());
        Properties p = new Properties();
        p.putAll(options.kafka().client("monitor (Kafka Streams)", null, tunable, owned));
        String prefix = options.kafka().userProperties().get(KafkaClientConfig.CLIENT_ID);
        if (prefix != null && !prefix.isBlank()) {
            p.put(StreamsConfig.CLIENT_ID_CONFIG, prefix + "-" + options.applicationId());
        }
        p.putAll(overrides);
        return p;
    }

    /** Keeps the latest document per key of {@link Topics#BASELINES}; a tombstone unpins. */
    private static final class PinnedBaselineUpdater implements Processor<String, byte[], Void, Void> {
        private KeyValueStore<String, byte[]> store;

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            store = context.getStateStore(PINNED_STORE);
        }

        @Override
        public void process(Record<String, byte[]> record) {
            if (record.key() == null) {
                return;
            }
            if (record.value() == null) {
                store.delete(record.key());
            } else {
                store.put(record.key(), record.value());
            }
        }
    }
}
