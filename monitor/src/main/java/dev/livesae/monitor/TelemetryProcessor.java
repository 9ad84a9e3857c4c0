package dev.livesae.monitor;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import dev.livesae.wire.CodeBatch;
import dev.livesae.wire.CodeMeta;
import dev.livesae.wire.Topics;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Count-based tumbling windows of W tokens per (saeId, hookpoint, dictionary version), the version's baseline,
 * and drift. Batches are split at window and baseline boundaries so every window holds exactly W tokens.
 * The open window lives in memory and is written to the (cached) state store after every record, so whatever
 * Kafka Streams commits (input offsets, outputs and the store's changelog in one transaction under
 * exactly_once_v2) is one consistent point: a restart resumes the open window from the store and counts every
 * code row once. The cache sends only the latest state per stream to the changelog at each commit.
 */
final class TelemetryProcessor implements Processor<String, Decoded, byte[], Outbound> {
    private static final Logger LOG = LoggerFactory.getLogger(TelemetryProcessor.class);

    private final MonitorOptions options;
    private final MonitorMetrics metrics;
    private final TelemetryListener listener;
    private final Baseline fileBaseline;
    private final TopicProvisioner topics;
    private final Set<String> provisioned = new HashSet<>();
    private final Map<String, FeatureState> states = new HashMap<>();
    private final Map<String, Integer> partitions = new HashMap<>();
    private ProcessorContext<byte[], Outbound> context;
    private KeyValueStore<String, byte[]> store;
    private KeyValueStore<String, byte[]> pinned;

    TelemetryProcessor(MonitorOptions options, MonitorMetrics metrics, TelemetryListener listener, Baseline fileBaseline,
                       TopicProvisioner topics) {
        this.topics = topics;
        this.options = options;
        this.metrics = metrics;
        this.listener = listener;
        this.fileBaseline = fileBaseline;
    }

    @Override
    public void init(ProcessorContext<byte[], Outbound> context) {
        this.context = context;
        this.store = context.getStateStore(MonitorTopology.STATE_STORE);
        this.pinned = context.getStateStore(MonitorTopology.PINNED_STORE);
    }

    @Override
    public void process(Record<String, Decoded> record) {
        CodeBatch batch = ((Decoded.Ok) record.value()).batch();
        CodeMeta meta = batch.meta();
        StreamKey key = new StreamKey(meta.saeId(), meta.hookpoint());
        String storeKey = record.key();
        long ts = record.timestamp();
        warnIfSpreadOverPartitions(storeKey);
        MonitorMetrics.StreamMeters meters = metrics.stream(key);
        FeatureState s = state(storeKey);
        if (s == null || !s.accepts(meta)) {
            if (s != null) {
                LOG.info("{}: dictionary version {} -> {} (d_sae {} -> {}); rebasing, {} tokens of the open window dropped",
                        key, s.version, meta.dictionaryVersion(), s.dSae, meta.dSae(), s.windowTokens);
                meters.rebases.increment();
                emit(Topics.drift(meta.model(), key.hookpoint()), key,
                        DriftEvent.rebase(meta.model(), key, meta.dictionaryVersion(), s.version, s.windowTokens, ts), ts);
            }
            s = FeatureState.start(key, meta, options.windowTokens(), options.baselineTokens(),
                    options.drift().baselineWindows());
            states.put(storeKey, s);
            pinIfAvailable(s, ts);
            meters.version(meta.dictionaryVersion());
        }
        int rows = batch.rows();
        int r = 0;
        while (r < rows) {
            int n = s.room(rows - r);
            boolean filling = s.baselineFilling();
            s.add(batch, r, r + n);
            r += n;
            if (filling && s.baselineReady()) {
                emitBaseline(s, ts);
            }
            if (s.windowFull()) {
                close(s, ts, meters);
            }
        }
        meters.tokens.increment(rows);
        // before any commit can follow this record: a commit must never cover a record the store lacks
        store.put(storeKey, s.toBytes());
    }

    private FeatureState state(String storeKey) {
        FeatureState s = states.get(storeKey);
        if (s == null) {
            byte[] stored = store.get(storeKey);
            if (stored != null) {
                try {
                    s = FeatureState.fromBytes(stored);
                } catch (IllegalArgumentException e) {
                    LOG.warn("{}: stored state unreadable ({}); starting over", StreamKey.fromStoreKey(storeKey), e.getMessage());
                    return null;
                }
                if (s.capacity != options.windowTokens()) {
                    LOG.warn("{}: stored window size {} differs from --window-tokens {}; starting over",
                            s.key, s.capacity, options.windowTokens());
                    s = null;
                } else {
                    states.put(storeKey, s);
                }
            }
        }
        return s;
    }

    private void pinIfAvailable(FeatureState s, long ts) {
        if (fileBaseline != null && fileBaseline.matches(s.key, s.version, s.dSae)) {
            s.pin(fileBaseline, BaselineSource.PINNED_FILE);
            emitBaseline(s, ts);
            return;
        }
        byte[] doc = pinned.get(Baseline.topicKey(s.key.saeId(), s.version));
        if (doc == null) {
            return;
        }
        try {
            Baseline b = Baseline.fromJson(doc);
            if (b.matches(s.key, s.version, s.dSae)) {
                s.pin(b, BaselineSource.PINNED_TOPIC);
                emitBaseline(s, ts);
            } else {
                LOG.warn("{}: pinned baseline {} does not match version {} / d_sae {}; ignored",
                        s.key, b.topicKey(), s.version, s.dSae);
            }
        } catch (IllegalArgumentException e) {
            LOG.warn("{}: unreadable pinned baseline on {}: {}", s.key, Topics.BASELINES, e.getMessage());
        }
    }

    private void close(FeatureState s, long ts, MonitorMetrics.StreamMeters meters) {
        if (s.baselineSource == BaselineSource.FIRST_TOKENS || s.baselineSource == BaselineSource.ROLLING) {
            pinIfAvailable(s, ts);
        }
        WindowSummary summary = Summaries.window(s, options, ts);
        emit(Topics.windows(s.model, s.key.hookpoint()), s.key, summary, ts);
        DriftMath.Scores scores = null;
        DriftDecision.Result decision = summary.drift() == null ? null : summary.drift().decision();
        s.consecutiveDrifted = decision != null && decision.detected() ? s.consecutiveDrifted + 1 : 0;
        if (summary.drift() != null) {
            scores = new DriftMath.Scores(summary.drift().psi(), summary.drift().jsBits());
            DriftEvent event = DriftEvent.drift(s.model, s.key, s.version, s.windowIndex, scores, s.baselineSource,
                    s.baselineTokens, ts, decision, s.consecutiveDrifted);
            emit(Topics.drift(s.model, s.key.hookpoint()), s.key, event, ts);
            if (decision != null && decision.detected()) {
                LOG.info("{}: window {} drifted from its {} baseline (p = 1e{}, {} in a row); moved most: {}", s.key,
                        s.windowIndex, s.baselineSource.label(), String.format(Locale.ROOT, "%.1f", decision.log10PValue()),
                        s.consecutiveDrifted, decision.movers().stream().limit(3).map(m -> String.format(Locale.ROOT,
                                "%d (%.4f -> %.4f)", m.id(), m.baselineDensity(), m.windowDensity())).toList());
            }
        }
        meters.decision(decision, s.consecutiveDrifted);
        meters.windowsClosed.increment();
        for (int j = 0; j < s.l0Histogram.length; j++) {
            for (long c = 0; c < s.l0Histogram[j]; c++) {
                meters.l0.record(j);
            }
        }
        for (int i = 0; i < s.reconTokens; i++) {
            meters.reconError.record(s.reconRatios[i]);
        }
        meters.fractions(summary.density().deadFraction(), summary.density().denseFraction());
        meters.drift(scores);
        meters.version(s.version);
        listener.onWindow(summary);
        if (s.roll()) {
            emitBaseline(s, ts);
        }
        store.put(s.key.storeKey(), s.toBytes());
    }

    private void emitBaseline(FeatureState s, long ts) {
        LOG.info("{}: baseline of version {} set from {} ({} tokens)", s.key, s.version, s.baselineSource.label(),
                s.baselineTokens);
        emit(Topics.drift(s.model, s.key.hookpoint()), s.key,
                DriftEvent.baseline(s.model, s.key, s.version, s.baselineSource, s.baselineTokens, ts), ts);
    }

    private void emit(String topic, StreamKey key, Object value, long ts) {
        if (provisioned.add(topic)) {
            topics.ensure(Set.of(topic));
        }
        if (value instanceof DriftEvent e) {
            listener.onDrift(e);
        }
        context.forward(new Record<>(key.saeId().getBytes(StandardCharsets.UTF_8),
                new Outbound(topic, Json.bytes(value)), ts));
    }

    private void warnIfSpreadOverPartitions(String storeKey) {
        context.recordMetadata().ifPresent(m -> {
            Integer first = partitions.putIfAbsent(storeKey, m.partition());
            if (first != null && first != m.partition() && first >= 0) {
                LOG.warn("codes of {} arrive on partitions {} and {}; windows are per task, key code records by saeId",
                        StreamKey.fromStoreKey(storeKey), first, m.partition());
                partitions.put(storeKey, -1);
            }
        });
    }

    @Override
    public void close() {
        states.clear(); // the store holds every processed record; a revived task reads it again
    }
}
