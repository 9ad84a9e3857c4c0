package dev.livesae.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livesae.wire.CodeBatch;
import dev.livesae.wire.CodeBatchSerde;
import dev.livesae.wire.CodeMeta;
import dev.livesae.wire.DeadLetters;
import dev.livesae.wire.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Drives the production topology ({@link MonitorTopology#build}) with hand-made code batches. */
class MonitorTopologyTest {
    static final String CODES = Topics.codes(Codes.MODEL, Codes.HOOK);

    @TempDir
    Path tmp;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final CodeBatchSerde serde = new CodeBatchSerde();
    private final List<WindowSummary> heard = new ArrayList<>();
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> codes;
    private TestOutputTopic<byte[], byte[]> windows;
    private TestOutputTopic<byte[], byte[]> drift;

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
        serde.close();
    }

    private void start(MonitorOptions options) {
        MonitorMetrics metrics = new MonitorMetrics();
        metrics.bindTo(registry);
        TelemetryListener listener = new TelemetryListener() {
            @Override
            public void onWindow(WindowSummary summary) {
                heard.add(summary);
            }
        };
        driver = new TopologyTestDriver(MonitorTopology.build(options, metrics, listener),
                MonitorTopology.streamsConfig(options, Map.of(StreamsConfig.STATE_DIR_CONFIG, tmp.toString())));
        codes = driver.createInputTopic(CODES, new ByteArraySerializer(), new ByteArraySerializer());
        windows = driver.createOutputTopic(Topics.windows(Codes.MODEL, Codes.HOOK), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        drift = driver.createOutputTopic(Topics.drift(Codes.MODEL, Codes.HOOK), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
    }

    private static MonitorOptions options(int window) {
        return MonitorOptions.forTopics("unused:9092", List.of(CODES)).withWindowTokens(window).withTopN(3);
    }

    private void send(CodeBatch batch) {
        codes.pipeInput(null, serde.serializer().serialize(CODES, batch));
    }

    private static List<JsonNode> json(TestOutputTopic<byte[], byte[]> topic) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (byte[] v : topic.readValuesToList()) {
            out.add(Json.MAPPER.readTree(v));
        }
        return out;
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    @Test
    void windowsHoldExactlyWTokensAcrossBatchBoundaries() throws Exception {
        start(options(4));
        CodeMeta meta = Codes.meta(1, 6, 2);
        // 6 rows then 3 rows: windows of 4 tokens close after row 4 and row 8; row 9 stays open.
        send(Codes.batch(meta, new int[][] {{0, 1}, {0}, {0, 2}, {5}, {1, 2}, {}}, new float[] {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f}));
        send(Codes.batch(meta, new int[][] {{3}, {0, 3}, {4}}));

        List<JsonNode> w = json(windows);
        assertThat(w).hasSize(2);
        JsonNode first = w.get(0);
        assertThat(first.get("schema").asText()).isEqualTo(WindowSummary.SCHEMA);
        assertThat(first.get("windowIndex").asLong()).isZero();
        assertThat(first.get("firstToken").asLong()).isZero();
        assertThat(first.get("tokens").asInt()).isEqualTo(4);
        assertThat(ints(first.get("firingCounts"))).containsExactly(3, 1, 1, 0, 0, 1);
        assertThat(ints(first.at("/l0/histogram"))).containsExactly(0, 2, 2);
        assertThat(first.at("/l0/mean").asDouble()).isEqualTo(1.5);
        // ratios 0.1..0.4: p50 nearest rank 2 = 0.2, p90 rank 4 = 0.4, fvu = 1.0 / 4
        assertThat(first.at("/reconError/p50").asDouble()).isCloseTo(0.2, within(1e-6));
        assertThat(first.at("/reconError/p90").asDouble()).isCloseTo(0.4, within(1e-6));
        assertThat(first.at("/reconError/fvu").asDouble()).isCloseTo(0.25, within(1e-6));
        assertThat(first.at("/density/denseFraction").asDouble()).isCloseTo(4.0 / 6, within(1e-12));
        assertThat(first.at("/density/silentFraction").asDouble()).isCloseTo(2.0 / 6, within(1e-12));
        assertThat(first.at("/topFeatures/0/id").asInt()).isZero();
        assertThat(first.at("/topFeatures/0/density").asDouble()).isEqualTo(0.75);
        assertThat(first.at("/topFeatures/0/meanActivation").asDouble()).isCloseTo(1.0, within(1e-6));
        assertThat(first.at("/topFeatures/1/id").asInt()).isEqualTo(1);

        JsonNode second = w.get(1);
        assertThat(second.get("firstToken").asLong()).isEqualTo(4);
        assertThat(ints(second.get("firingCounts"))).containsExactly(1, 1, 1, 2, 0, 0);
        assertThat(ints(second.at("/l0/histogram"))).containsExactly(1, 1, 2);
        assertThat(heard).extracting(WindowSummary::windowIndex).containsExactly(0L, 1L);

        assertThat(registry.get("livesae.monitor.windows.closed").counter().count()).isEqualTo(2.0);
        assertThat(registry.get("livesae.monitor.tokens").counter().count()).isEqualTo(9.0);
        assertThat(registry.get("livesae.monitor.l0").summary().count()).isEqualTo(8);
    }

    @Test
    void driftOfSecondWindowMatchesHandComputedPsiAndJs() throws Exception {
        start(options(6));
        CodeMeta meta = Codes.meta(7, 4, 2);
        // baseline (first 6 tokens) fires (6, 3, 1, 0); the next window fires (2, 2, 4, 2)
        send(Codes.batch(meta, new int[][] {{0, 1}, {0, 1}, {0, 1}, {0, 2}, {0}, {0}}));
        send(Codes.batch(meta, new int[][] {{0, 2}, {0, 2}, {1, 2}, {1, 2}, {3}, {3}}));

        List<JsonNode> events = json(drift);
        assertThat(events).extracting(e -> e.get("type").asText()).containsExactly("BASELINE", "DRIFT", "DRIFT");
        assertThat(events.get(0).get("baselineSource").asText()).isEqualTo("first-tokens");
        assertThat(events.get(0).get("baselineTokens").asLong()).isEqualTo(6);
        assertThat(events.get(1).get("psi").asDouble()).isZero();
        JsonNode second = events.get(2);
        assertThat(second.get("windowIndex").asLong()).isEqualTo(1);
        // p = (6.5, 3.5, 1.5, 0.5)/12, q = (2.5, 2.5, 4.5, 2.5)/12, see DriftMathTest
        assertThat(second.get("psi").asDouble()).isCloseTo(0.8894358923002906, within(1e-12));
        assertThat(second.get("jsBits").asDouble()).isCloseTo(0.1513085350228299, within(1e-12));
        assertThat(json(windows).get(1).at("/drift/psi").asDouble()).isCloseTo(0.8894358923002906, within(1e-12));

        assertThat(registry.get("livesae.monitor.drift.psi").gauge().value()).isCloseTo(0.8894358923002906, within(1e-12));
        assertThat(registry.get("livesae.monitor.drift.js").gauge().value()).isCloseTo(0.1513085350228299, within(1e-12));
        assertThat(registry.get("livesae.monitor.dictionary.version").gauge().value()).isEqualTo(7.0);
    }

    @Test
    void versionChangeRebasesAndNeverComparesAcrossVersions() throws Exception {
        start(options(2));
        CodeMeta v1 = Codes.meta(1, 4, 2);
        CodeMeta v2 = Codes.meta(2, 4, 2);
        send(Codes.batch(v1, new int[][] {{0}, {0}, {0}}));    // v1: window 0 closes, one token left open
        send(Codes.batch(v2, new int[][] {{3}, {3}, {3}, {3}})); // v2: rebase, baseline (3, 3), window 1 (3, 3)

        List<JsonNode> events = json(drift);
        assertThat(events).extracting(e -> e.get("type").asText())
                .containsExactly("BASELINE", "DRIFT", "REBASE", "BASELINE", "DRIFT", "DRIFT");
        JsonNode rebase = events.get(2);
        assertThat(rebase.get("previousVersion").asLong()).isEqualTo(1);
        assertThat(rebase.get("dictionaryVersion").asLong()).isEqualTo(2);
        assertThat(rebase.get("discardedTokens").asLong()).isEqualTo(1);
        // v2 windows are compared with the v2 baseline only: no drift although v1 fired only latent 0
        assertThat(events.get(4).get("psi").asDouble()).isZero();
        assertThat(events.get(5).get("psi").asDouble()).isZero();
        List<JsonNode> w = json(windows);
        assertThat(w).extracting(n -> n.get("dictionaryVersion").asLong()).containsExactly(1L, 2L, 2L);
        assertThat(w.get(1).get("windowIndex").asLong()).isZero();
        assertThat(w.get(1).get("firstToken").asLong()).isZero();
        assertThat(registry.get("livesae.monitor.baseline.rebases").counter().count()).isEqualTo(1.0);
        assertThat(registry.get("livesae.monitor.dictionary.version").gauge().value()).isEqualTo(2.0);
    }

    @Test
    void badRecordsGoToDeadLetterTopicWithHeadersAndTheStreamContinues() throws Exception {
        start(options(2));
        CodeMeta meta = Codes.meta(1, 4, 2);
        byte[] garbage = "not arrow".getBytes(StandardCharsets.UTF_8);
        CodeBatch nan = Codes.batch(meta, new int[][] {{1}});
        nan.latentValues()[0] = Float.NaN;
        CodeBatch outOfRange = Codes.batch(meta, new int[][] {{1}});
        outOfRange.latentIndices()[0] = 4;
        CodeBatch negative = Codes.batch(meta, new int[][] {{1}});
        negative.latentValues()[0] = -1f;
        codes.pipeInput("k".getBytes(StandardCharsets.UTF_8), garbage);
        send(nan);
        send(outOfRange);
        send(negative);
        send(Codes.batch(meta, new int[][] {{0}, {1}}));

        TestOutputTopic<byte[], byte[]> dlq = driver.createOutputTopic(Topics.deadLetter(CODES),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TestRecord<byte[], byte[]>> letters = dlq.readRecordsToList();
        assertThat(letters).hasSize(4);
        assertThat(letters).extracting(r -> DeadLetters.header(r.headers(), DeadLetters.REASON))
                .containsExactly("UNDECODABLE", "NON_FINITE", "INDEX_OUT_OF_RANGE", "UNEXPECTED_SHAPE");
        Headers h = letters.get(2).headers();
        assertThat(DeadLetters.header(h, DeadLetters.SOURCE_TOPIC)).isEqualTo(CODES);
        assertThat(DeadLetters.header(h, DeadLetters.SOURCE_PARTITION)).isEqualTo("0");
        assertThat(DeadLetters.header(h, DeadLetters.SOURCE_OFFSET)).isEqualTo("2");
        assertThat(DeadLetters.header(h, DeadLetters.COMPONENT)).isEqualTo("monitor");
        assertThat(DeadLetters.header(h, DeadLetters.DETAIL)).contains("latent_index 4");
        assertThat(letters.get(0).value()).isEqualTo(garbage);
        assertThat(new String(letters.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("k");

        assertThat(registry.get("livesae.records.rejected").tag("component", "monitor").tag("reason", "UNDECODABLE")
                .counter().count()).isEqualTo(1.0);
        assertThat(registry.get("livesae.records.rejected").tag("reason", "NON_FINITE").counter().count()).isEqualTo(1.0);
        assertThat(json(windows)).singleElement()
                .satisfies(w -> assertThat(ints(w.get("firingCounts"))).containsExactly(1, 1, 0, 0));
    }

    @Test
    void codesOfSaesBeyondMaxSaesAreDeadLetteredAndCreateNoStateOrSeries() {
        start(options(4).withMaxSaes(2));
        TestOutputTopic<byte[], byte[]> dlq = driver.createOutputTopic(Topics.deadLetter(CODES),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        for (int i = 0; i < 5; i++) {
            CodeMeta meta = new CodeMeta("sae-" + i, 1, Codes.MODEL, Codes.HOOK, 16, 6, 2);
            send(Codes.batch(meta, new int[][] {{0, 1}}));
        }
        send(Codes.batch(new CodeMeta("sae-0", 1, Codes.MODEL, Codes.HOOK, 16, 6, 2), new int[][] {{2}}));

        List<TestRecord<byte[], byte[]>> letters = dlq.readRecordsToList();
        assertThat(letters).extracting(r -> DeadLetters.header(r.headers(), DeadLetters.REASON))
                .containsExactly("TOO_MANY_SAES", "TOO_MANY_SAES", "TOO_MANY_SAES");
        assertThat(letters).extracting(r -> DeadLetters.header(r.headers(), DeadLetters.SOURCE_OFFSET))
                .containsExactly("2", "3", "4");
        assertThat(DeadLetters.header(letters.get(0).headers(), DeadLetters.DETAIL)).contains("--max-saes", "sae-2");
        KeyValueStore<String, byte[]> store = driver.getKeyValueStore(MonitorTopology.STATE_STORE);
        assertThat(store.get(new StreamKey("sae-2", Codes.HOOK).storeKey())).isNull();
        assertThat(registry.find("livesae.monitor.tokens").counters()).extracting(c -> c.getId().getTag("sae_id"))
                .containsExactlyInAnyOrder("sae-0", "sae-1");
        assertThat(registry.get("livesae.monitor.tokens").tag("sae_id", "sae-0").counter().count()).isEqualTo(2.0);
        assertThat(registry.get("livesae.monitor.saes.tracked").gauge().value()).isEqualTo(2.0);
        assertThat(registry.get("livesae.records.rejected").tags("reason", "TOO_MANY_SAES", "component", "monitor")
                .counter().count()).isEqualTo(3.0);
    }

    @Test
    void codeBatchClaimingAHugeDictionaryIsDeadLetteredBeforeAnyStateIsSized() {
        start(options(4));
        TestOutputTopic<byte[], byte[]> dlq = driver.createOutputTopic(Topics.deadLetter(CODES),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        send(Codes.batch(new CodeMeta("huge", 1, Codes.MODEL, Codes.HOOK, 16, Integer.MAX_VALUE, 2), new int[][] {{0, 1}}));
        send(Codes.batch(Codes.meta(1, 6, 2), new int[][] {{0, 1}}));
        List<TestRecord<byte[], byte[]>> letters = dlq.readRecordsToList();
        assertThat(letters).extracting(r -> DeadLetters.header(r.headers(), DeadLetters.REASON))
                .containsExactly("DIMENSION_TOO_LARGE");
        assertThat(registry.find("livesae.monitor.tokens").counters()).extracting(c -> c.getId().getTag("sae_id"))
                .containsExactly(Codes.SAE);
    }

    @Test
    void pinnedBaselineFromCompactedTopicReplacesFirstTokens() throws Exception {
        start(options(6));
        Baseline pinned = new Baseline(Codes.SAE, Codes.HOOK, 7, 6, new int[] {6, 3, 1, 0});
        TestInputTopic<String, byte[]> baselines = driver.createInputTopic(Topics.BASELINES, new StringSerializer(),
                new ByteArraySerializer());
        baselines.pipeInput(pinned.topicKey(), pinned.toJson());
        send(Codes.batch(Codes.meta(7, 4, 2), new int[][] {{0, 2}, {0, 2}, {1, 2}, {1, 2}, {3}, {3}}));

        List<JsonNode> events = json(drift);
        assertThat(events).extracting(e -> e.get("type").asText()).containsExactly("BASELINE", "DRIFT");
        assertThat(events.get(0).get("baselineSource").asText()).isEqualTo("pinned-topic");
        assertThat(events.get(1).get("psi").asDouble()).isCloseTo(0.8894358923002906, within(1e-12));
    }

    @Test
    void pinnedBaselineFileIsUsedForItsVersionOnly() throws Exception {
        Path file = tmp.resolve("baseline.json");
        Files.write(file, new Baseline(Codes.SAE, null, 7, 6, new int[] {6, 3, 1, 0}).toJson());
        start(options(6).withBaselineFile(file));
        send(Codes.batch(Codes.meta(7, 4, 2), new int[][] {{0, 2}, {0, 2}, {1, 2}, {1, 2}, {3}, {3}}));
        send(Codes.batch(Codes.meta(8, 4, 2), new int[][] {{0}}));

        List<JsonNode> events = json(drift);
        assertThat(events).extracting(e -> e.get("type").asText()).containsExactly("BASELINE", "DRIFT", "REBASE");
        assertThat(events.get(0).get("baselineSource").asText()).isEqualTo("pinned-file");
        assertThat(events.get(1).get("jsBits").asDouble()).isCloseTo(0.1513085350228299, within(1e-12));
    }

    @Test
    void latentsAreDeadOnlyAfterTheHorizonWithoutFiring() throws Exception {
        start(options(2).withDeadHorizonTokens(4));
        CodeMeta meta = Codes.meta(1, 4, 1);
        send(Codes.batch(meta, new int[][] {{0}, {1}}));  // tokens 0-1: 2 and 3 never fired, horizon not reached
        send(Codes.batch(meta, new int[][] {{0}, {0}}));  // tokens 2-3: horizon reached; 1 fired at token 1 (alive)
        send(Codes.batch(meta, new int[][] {{0}, {0}}));  // tokens 4-5: 1 last fired at 1 < 6 - 4 -> dead

        List<JsonNode> w = json(windows);
        assertThat(w).extracting(n -> n.at("/density/deadFraction").asDouble()).containsExactly(0.0, 0.5, 0.75);
        assertThat(w).extracting(n -> n.at("/density/deadHorizonComplete").asBoolean()).containsExactly(false, true, true);
        assertThat(registry.get("livesae.monitor.dead.latents").gauge().value()).isEqualTo(0.75);
        assertThat(registry.get("livesae.monitor.dense.latents").gauge().value()).isEqualTo(0.25);
    }

    @Test
    void stateStoreHoldsLastWindowBaselineAndOpenWindowRightAfterEachRecord() {
        start(options(2));
        CodeMeta meta = Codes.meta(3, 4, 2);
        send(Codes.batch(meta, new int[][] {{0, 1}, {1}, {2}}));
        // no wall-clock time passes: the open window is in the store before any commit can cover the record

        byte[] stored = driver.<String, byte[]>getKeyValueStore(MonitorTopology.STATE_STORE)
                .get(new StreamKey(Codes.SAE, Codes.HOOK).storeKey());
        FeatureState s = FeatureState.fromBytes(stored);
        assertThat(s.version).isEqualTo(3);
        assertThat(s.lastCounts).containsExactly(1, 2, 0, 0);
        assertThat(s.baselineCounts).containsExactly(1, 2, 0, 0);
        assertThat(s.windowTokens).isEqualTo(1);
        assertThat(s.windowCounts).containsExactly(0, 0, 1, 0);
        assertThat(s.lastFired).containsExactly(0L, 1L, 2L, -1L);
        assertThat(s.tokensSeen).isEqualTo(3);
    }

    @Test
    void readsTopicsMatchingAPattern() throws Exception {
        MonitorOptions o = new MonitorOptions("unused:9092", List.of(), "codes\\..*", 2, 2, 20, 0.1, 3, null, null,
                "p", "127.0.0.1", 0, java.util.Map.of());
        start(o);
        send(Codes.batch(Codes.meta(1, 4, 1), new int[][] {{0}, {1}}));
        assertThat(json(windows)).hasSize(1);
    }

}
