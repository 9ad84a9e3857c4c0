package dev.livesae.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.livesae.wire.CodeBatch;
import dev.livesae.wire.CodeBatchSerde;
import dev.livesae.wire.CodeMeta;
import dev.livesae.wire.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The contexts store, driven through the production topology with code batches that carry token ids. */
class ContextStoreTest {
    static final String CODES = Topics.codes(Codes.MODEL, Codes.HOOK);
    static final CodeMeta META = Codes.meta(1, 8, 2);
    static final String STREAM = new StreamKey(Codes.SAE, Codes.HOOK).storeKey();

    @TempDir
    Path tmp;

    private final CodeBatchSerde serde = new CodeBatchSerde();
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> codes;

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
        serde.close();
    }

    private void start(ContextOptions contexts) {
        MonitorOptions options = MonitorOptions.forTopics("unused:9092", List.of(CODES)).withWindowTokens(1000)
                .withContexts(contexts);
        MonitorMetrics metrics = new MonitorMetrics();
        metrics.bindTo(new SimpleMeterRegistry());
        driver = new TopologyTestDriver(MonitorTopology.build(options, metrics, TelemetryListener.NONE),
                MonitorTopology.streamsConfig(options, Map.of(StreamsConfig.STATE_DIR_CONFIG, tmp.toString())), Instant.now());
        codes = driver.createInputTopic(CODES, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /**
     * Two sequences: 7 (positions 0..5, token ids 700..705) and 8 (positions 0..3, token ids 800..803). Latent 3
     * fires on every token with value {@code values[row]}; latent 5 never fires.
     */
    private static CodeBatch batch(float[] values) {
        int rows = 10;
        long[] seq = new long[rows];
        int[] pos = new int[rows];
        int[] tok = new int[rows];
        int[] idx = new int[rows * 2];
        float[] val = new float[rows * 2];
        for (int r = 0; r < rows; r++) {
            seq[r] = r < 6 ? 7 : 8;
            pos[r] = r < 6 ? r : r - 6;
            tok[r] = (r < 6 ? 700 : 800) + pos[r];
            idx[2 * r] = 3;
            val[2 * r] = values[r];
            idx[2 * r + 1] = 1;  // slot off
        }
        return new CodeBatch(META, seq, pos, tok, idx, val, new float[rows], filled(rows, 1f));
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    private FeatureContexts examples(int latent) {
        KeyValueStore<String, byte[]> store = driver.getKeyValueStore(MonitorTopology.CONTEXT_STORE);
        byte[] v = store.get(ContextKeys.examples(STREAM, latent));
        return v == null ? null : FeatureContexts.fromBytes(v);
    }

    @Test
    void keepsTheStrongestExamplesWithTheirTokenWindowsInsideTheSequence() {
        start(ContextOptions.DEFAULTS.withTopExamples(3));
        float[] values = {0.5f, 0.2f, 0.9f, 0.1f, 0.3f, 0.4f, 0.8f, 0.05f, 0.6f, 0.7f};
        codes.pipeInput(null, serde.serializer().serialize(CODES, batch(values)), Instant.now());
        driver.advanceWallClockTime(ContextProcessor.FLUSH); // written by a punctuator

        FeatureContexts c = examples(3);
        assertThat(c.top).extracting(ContextExample::activation).containsExactly(0.9f, 0.8f, 0.7f);
        ContextExample strongest = c.top.get(0);   // row 2: sequence 7, position 2
        assertThat(strongest.sequenceId()).isEqualTo(7);
        assertThat(strongest.tokenIds()).containsExactly(700, 701, 702, 703, 704, 705);
        assertThat(strongest.tokenIds()[strongest.firing()]).isEqualTo(702);
        ContextExample second = c.top.get(1);      // row 6: the first token of sequence 8, nothing before it
        assertThat(second.firing()).isZero();
        assertThat(second.tokenIds()).containsExactly(800, 801, 802, 803);
        assertThat(examples(5)).as("a latent that never fired has no entry").isNull();

        ActivationHistogram h = ActivationHistogram.fromBytes(driver.<String, byte[]>getKeyValueStore(MonitorTopology.CONTEXT_STORE)
                .get(ContextKeys.histogram(STREAM, 3)));
        assertThat(h.total).isEqualTo(10);
        assertThat(h.max).isEqualTo(0.9f);
        assertThat(java.util.Arrays.stream(h.seenPerBin).sum()).isEqualTo(10);
        for (int b = 0; b < ContextOptions.QUANTILE_BINS; b++) {
            assertThat(c.samples.get(b)).as("quartile reservoir " + b + " holds min(4, firings seen in it)")
                    .hasSize((int) Math.min(4, h.seenPerBin[b]));
        }
    }

    @Test
    void theFeatureJsonCarriesEachContextsTokensFiringIndexAndActivation() {
        start(ContextOptions.DEFAULTS);
        codes.pipeInput(null, serde.serializer().serialize(CODES, batch(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})), Instant.now());
        driver.advanceWallClockTime(ContextProcessor.FLUSH); // written by a punctuator
        KeyValueStore<String, byte[]> store = driver.getKeyValueStore(MonitorTopology.CONTEXT_STORE);
        KeyValueStore<String, byte[]> states = driver.getKeyValueStore(MonitorTopology.STATE_STORE);
        FeatureState s = FeatureState.fromBytes(states.get(STREAM));
        ContextQuery query = new ContextQuery() {
            @Override
            public boolean enabled() {
                return true;
            }

            @Override
            public byte[] get(String key) {
                return store.get(key);
            }

            @Override
            public Map<String, byte[]> scan(String prefix) {
                Map<String, byte[]> out = new HashMap<>();
                try (var it = store.all()) {
                    it.forEachRemaining(kv -> {
                        if (kv.key.startsWith(prefix)) {
                            out.put(kv.key, kv.value);
                        }
                    });
                }
                return out;
            }
        };
        ExplorerViews.Sources src = new ExplorerViews.Sources(query, VocabularyCache.NONE, new FeatureHistory(), ContextOptions.DEFAULTS);
        ExplorerViews.Detail d = ExplorerViews.detail(s, 3, src);
        assertThat(d.contexts()).hasSize(10);
        ExplorerViews.Context top = d.contexts().get(0);
        assertThat(top.activation()).isEqualTo(10f);
        assertThat(top.text()).containsExactly("#800", "#801", "#802", "#803");
        assertThat(top.text().get(top.firing())).isEqualTo("#803");
        assertThat(d.histogram().total()).isEqualTo(10);

        ExplorerViews.Page page = ExplorerViews.page(s, src, "density", null, "#803", 0, 10);
        assertThat(page.features()).extracting(ExplorerViews.Row::id).containsExactly(3);
        assertThat(ExplorerViews.page(s, src, "id", "asc", null, 2, 3).features()).extracting(ExplorerViews.Row::id)
                .containsExactly(2, 3, 4);
        assertThat(ExplorerViews.page(s, src, "density", null, null, 0, 1).features().get(0).id()).isEqualTo(3);
    }

    @Test
    void dropsExamplesOlderThanTheRetentionAndKeepsTheHistogram() {
        start(ContextOptions.DEFAULTS.withRetention(Duration.ofMinutes(1)));
        codes.pipeInput(null, serde.serializer().serialize(CODES, batch(filled(10, 1f))), Instant.now());
        driver.advanceWallClockTime(ContextProcessor.FLUSH); // written by a punctuator
        assertThat(examples(3).top).isNotEmpty();
        driver.advanceWallClockTime(Duration.ofMinutes(2));
        FeatureContexts after = examples(3);
        assertThat(after == null || after.isEmpty()).as("examples past --context-retention are swept").isTrue();

        codes.pipeInput(null, serde.serializer().serialize(CODES, batch(filled(10, 1f))), Instant.now().minus(Duration.ofMinutes(5)));

        driver.advanceWallClockTime(ContextProcessor.FLUSH); // written by a punctuator
        FeatureContexts replayed = examples(3);
        assertThat(replayed == null || replayed.isEmpty()).as("a record older than the retention stores no text").isTrue();
        ActivationHistogram h = ActivationHistogram.fromBytes(driver.<String, byte[]>getKeyValueStore(MonitorTopology.CONTEXT_STORE)
                .get(ContextKeys.histogram(STREAM, 3)));
        assertThat(h.total).isEqualTo(20);
    }

    @Test
    void storesNothingWithContextsOff() {
        start(ContextOptions.OFF);
        codes.pipeInput(null, serde.serializer().serialize(CODES, batch(filled(10, 1f))), Instant.now());
        driver.advanceWallClockTime(ContextProcessor.FLUSH); // written by a punctuator
        assertThat(driver.getAllStateStores()).doesNotContainKey(MonitorTopology.CONTEXT_STORE);
        assertThat(driver.<String, byte[]>getKeyValueStore(MonitorTopology.STATE_STORE).get(STREAM)).isNotNull();
    }
}
