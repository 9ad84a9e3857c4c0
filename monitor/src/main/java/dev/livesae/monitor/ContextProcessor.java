package dev.livesae.monitor;

import java.time.Duration;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

import dev.livesae.wire.CodeBatch;
import dev.livesae.wire.CodeMeta;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps, per feature of the current dictionary version of each stream, the top activating examples, a uniform
 * sample per activation-quantile bin (each a window of token ids around the firing token) and an activation
 * histogram, in the store {@value MonitorTopology#CONTEXT_STORE}. Histograms change on every firing and examples on
 * many (every feature's lists fill at first), so what changed is written to the store by a wall-clock punctuator every
 * {@link #FLUSH} rather than after each record: the store, and so what a commit covers, lags the processed records by
 * at most that, and a crash loses at most that much (nothing is counted twice). A second punctuator drops examples
 * older than {@code --context-retention} and the keys of replaced dictionary versions. Code batches without token
 * ids add histograms only.
 */
final class ContextProcessor implements Processor<String, Decoded, Void, Void> {
    private static final Logger LOG = LoggerFactory.getLogger(ContextProcessor.class);

    /** The in-memory copy of one stream's contexts (the store is read once per stream and task). */
    private static final class Stream {
        final long version;
        final FeatureContexts[] sets;
        final ActivationHistogram[] histograms;
        final BitSet dirtySets;
        final BitSet dirtyHistograms;
        /**
         * Per latent, the activation a firing must exceed to enter the top list (0 while it has room): read for every
         * firing, so a flat array instead of a walk through the feature's objects.
         */
        final float[] topMin;

        Stream(long version, int dSae) {
            this.version = version;
            topMin = new float[dSae];
            sets = new FeatureContexts[dSae];
            histograms = new ActivationHistogram[dSae];
            dirtySets = new BitSet(dSae);
            dirtyHistograms = new BitSet(dSae);
        }
    }

    /** How often changed examples and histograms are written to the store. */
    static final Duration FLUSH = Duration.ofSeconds(1);

    private final ContextOptions options;
    private final Map<String, Stream> streams = new HashMap<>();
    private KeyValueStore<String, byte[]> store;

    ContextProcessor(ContextOptions options) {
        if (!options.enabled()) {
            throw new IllegalArgumentException("the context processor runs only with --contexts on");
        }
        this.options = options;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        store = context.getStateStore(MonitorTopology.CONTEXT_STORE);
        Duration every = sweepInterval(options.retention());
        context.schedule(every, PunctuationType.WALL_CLOCK_TIME, this::sweep);
        context.schedule(FLUSH, PunctuationType.WALL_CLOCK_TIME, now -> flush());
    }

    /** How often expired examples are dropped: a tenth of the retention, between 1 s and 1 min. */
    static Duration sweepInterval(Duration retention) {
        long ms = Math.max(1000, Math.min(60_000, retention.toMillis() / 10));
        return Duration.ofMillis(ms);
    }

    @Override
    public void process(Record<String, Decoded> record) {
        CodeBatch batch = ((Decoded.Ok) record.value()).batch();
        CodeMeta meta = batch.meta();
        String streamKey = record.key();
        Stream s = stream(streamKey, meta);
        boolean text = batch.tokenIds() != null;
        // a replayed record older than the retention adds to the histograms but stores no text
        boolean fresh = record.timestamp() >= System.currentTimeMillis() - options.retention().toMillis();
        int k = meta.k();
        int[] idx = batch.latentIndices();
        float[] val = batch.latentValues();
        for (int r = 0; r < batch.rows(); r++) {
            for (int j = 0; j < k; j++) {
                float v = val[r * k + j];
                if (!(v > 0)) {
                    continue;
                }
                int latent = idx[r * k + j];
                ActivationHistogram h = s.histograms[latent];
                if (h == null) {
                    h = s.histograms[latent] = new ActivationHistogram(s.version);
                }
                int bin = Math.min(ContextOptions.QUANTILE_BINS - 1, (int) (h.quantile(v) * ContextOptions.QUANTILE_BINS));
                h.add(v);
                long seen = ++h.seenPerBin[bin];
                s.dirtyHistograms.set(latent);
                if (!text || !fresh) {
                    continue;
                }
                boolean top = v > s.topMin[latent];
                int spb = options.samplesPerBin();
                // the reservoir's draw needs no object: only the first spb firings of a bin, or a draw below spb, are kept
                int slot = spb == 0 ? -1 : seen <= spb ? (int) seen - 1
                        : (int) Math.min(spb, (long) (uniform(batch.sequenceIds()[r], batch.positions()[r], latent, seen) * seen));
                if (!top && (slot < 0 || slot >= spb)) {
                    continue;
                }
                FeatureContexts c = s.sets[latent];
                if (c == null) {
                    c = s.sets[latent] = new FeatureContexts(s.version);
                }
                ContextExample example = example(batch, r, v, record.timestamp());
                if (top) {
                    c.addTop(example, options.topExamples());
                    s.topMin[latent] = c.topThreshold(options.topExamples());
                }
                if (slot >= 0 && slot < spb) {
                    c.putSample(bin, slot, example);
                }
                s.dirtySets.set(latent);
            }
        }
    }

    /** The window of token ids around row {@code r}: up to before/after rows of the same sequence, consecutive positions. */
    private ContextExample example(CodeBatch b, int r, float v, long ts) {
        long seq = b.sequenceIds()[r];
        int pos = b.positions()[r];
        int from = r;
        while (from > 0 && r - from < options.before() && b.sequenceIds()[from - 1] == seq
                && b.positions()[from - 1] == pos - (r - from) - 1) {
            from--;
        }
        int to = r;
        while (to + 1 < b.rows() && to - r < options.after() && b.sequenceIds()[to + 1] == seq
                && b.positions()[to + 1] == pos + (to - r) + 1) {
            to++;
        }
        int[] ids = new int[to - from + 1];
        for (int i = from; i <= to; i++) {
            ids[i - from] = b.tokenId(i);
        }
        return new ContextExample(v, ts, seq, pos, r - from, ids);
    }

    /** A deterministic uniform number in [0, 1) from the firing's identity (SplitMix64 finaliser): replays sample alike. */
    static double uniform(long sequence, int position, int latent, long seen) {
        long z = sequence * 0x9E3779B97F4A7C15L + position * 0xBF58476D1CE4E5B9L + latent * 0x94D049BB133111EBL + seen;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (z >>> 11) * 0x1.0p-53;
    }

    private Stream stream(String streamKey, CodeMeta meta) {
        Stream s = streams.get(streamKey);
        if (s != null && s.version == meta.dictionaryVersion() && s.sets.length == meta.dSae()) {
            return s;
        }
        s = new Stream(meta.dictionaryVersion(), meta.dSae());
        if (streams.containsKey(streamKey)) {
            LOG.info("{}: dictionary version {}; contexts of the previous version are dropped at the next sweep",
                    StreamKey.fromStoreKey(streamKey), meta.dictionaryVersion());
        } else {
            load(streamKey, s);
        }
        streams.put(streamKey, s);
        return s;
    }

    /** Reads the stream's stored contexts of the same version (after a restart or a task move). */
    private void load(String streamKey, Stream s) {
        try (KeyValueIterator<String, byte[]> it = store.prefixScan(ContextKeys.prefix(streamKey), Serdes.String().serializer())) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                try {
                    ContextKeys.Key key = ContextKeys.parse(kv.key);
                    if (!key.streamKey().equals(streamKey) || key.latent() < 0 || key.latent() >= s.sets.length) {
                        continue;
                    }
                    if (key.kind() == ContextKeys.EXAMPLES) {
                        FeatureContexts c = FeatureContexts.fromBytes(kv.value);
                        if (c.version == s.version) {
                            s.sets[key.latent()] = c;
                            s.topMin[key.latent()] = c.topThreshold(options.topExamples());
                        }
                    } else {
                        ActivationHistogram h = ActivationHistogram.fromBytes(kv.value);
                        if (h.version == s.version) {
                            s.histograms[key.latent()] = h;
                        }
                    }
                } catch (IllegalArgumentException e) {
                    LOG.warn("unreadable contexts entry {} ({}); dropped", kv.key, e.getMessage());
                }
            }
        }
    }

    /** Writes the examples and histograms changed since the last flush. */
    void flush() {
        for (Map.Entry<String, Stream> e : streams.entrySet()) {
            Stream s = e.getValue();
            for (int i = s.dirtyHistograms.nextSetBit(0); i >= 0; i = s.dirtyHistograms.nextSetBit(i + 1)) {
                store.put(ContextKeys.histogram(e.getKey(), i), s.histograms[i].toBytes());
            }
            for (int i = s.dirtySets.nextSetBit(0); i >= 0; i = s.dirtySets.nextSetBit(i + 1)) {
                store.put(ContextKeys.examples(e.getKey(), i), s.sets[i].toBytes());
            }
            s.dirtyHistograms.clear();
            s.dirtySets.clear();
        }
    }

    /** Drops examples past the retention and entries of other dictionary versions than the one in memory. */
    void sweep(long nowMs) {
        flush(); // the keys below are judged against what is in the store
        long cutoff = nowMs - options.retention().toMillis();
        int dropped = 0;
        java.util.List<String> deletes = new java.util.ArrayList<>();
        java.util.Map<String, byte[]> puts = new java.util.HashMap<>();
        try (KeyValueIterator<String, byte[]> it = store.all()) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                ContextKeys.Key key;
                try {
                    key = ContextKeys.parse(kv.key);
                } catch (IllegalArgumentException e) {
                    deletes.add(kv.key);
                    continue;
                }
                Stream live = streams.get(key.streamKey());
                if (key.kind() == ContextKeys.HISTOGRAM) {
                    if (live != null && (key.latent() >= live.histograms.length || live.histograms[key.latent()] == null)) {
                        deletes.add(kv.key); // a histogram of a replaced version
                    }
                    continue;
                }
                FeatureContexts c = live != null && key.latent() < live.sets.length ? live.sets[key.latent()] : null;
                if (live != null && c == null) {
                    deletes.add(kv.key);
                    continue;
                }
                if (c == null) {
                    try {
                        c = FeatureContexts.fromBytes(kv.value);
                    } catch (IllegalArgumentException e) {
                        deletes.add(kv.key);
                        continue;
                    }
                }
                if (c.expire(cutoff)) {
                    if (live != null) {
                        live.topMin[key.latent()] = c.topThreshold(options.topExamples());
                    }
                    dropped++;
                    puts.put(kv.key, c.toBytes());
                }
            }
        }
        deletes.forEach(store::delete);
        puts.forEach(store::put);
        if (dropped > 0 || !deletes.isEmpty()) {
            LOG.debug("contexts sweep: {} features had expired examples, {} stale entries deleted", dropped, deletes.size());
        }
    }

    @Override
    public void close() {
        streams.clear();
    }
}
