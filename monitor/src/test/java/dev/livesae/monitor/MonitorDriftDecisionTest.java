package dev.livesae.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livesae.wire.CodeBatchSerde;
import dev.livesae.wire.CodeMeta;
import dev.livesae.wire.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The calibrated drift decision through the production topology ({@link MonitorTopology#build}): synthetic k-sparse
 * codes with sequence structure ({@link SyntheticFirings}), stationary and then shifted to new topics.
 */
class MonitorDriftDecisionTest {
    static final String CODES = Topics.codes(Codes.MODEL, Codes.HOOK);
    static final int D = 1_024;
    static final int K = 16;
    static final int W = 2_000;

    @TempDir
    Path tmp;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final CodeBatchSerde serde = new CodeBatchSerde();
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> codes;
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
        driver = new TopologyTestDriver(MonitorTopology.build(options, metrics, TelemetryListener.NONE),
                MonitorTopology.streamsConfig(options, Map.of(StreamsConfig.STATE_DIR_CONFIG, tmp.toString())));
        codes = driver.createInputTopic(CODES, new ByteArraySerializer(), new ByteArraySerializer());
        drift = driver.createOutputTopic(Topics.drift(Codes.MODEL, Codes.HOOK), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
    }

    private void feed(SyntheticFirings src, CodeMeta meta, int tokens) {
        for (int sent = 0; sent < tokens; sent += 500) {
            codes.pipeInput(null, serde.serializer().serialize(CODES, src.batch(meta, Math.min(500, tokens - sent))));
        }
    }

    private List<JsonNode> driftEvents() throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (byte[] v : drift.readValuesToList()) {
            JsonNode n = Json.MAPPER.readTree(v);
            if (n.get("type").asText().equals("DRIFT")) {
                out.add(n);
            }
        }
        return out;
    }

    private double gauge(String name) {
        return registry.get(name).gauge().value();
    }

    @Test
    void stationaryWindowsStayQuietAndAShiftIsDetectedInTheNextWindowWithTheLatentsThatMoved() throws Exception {
        start(MonitorOptions.forTopics("unused:9092", List.of(CODES)).withWindowTokens(W));
        CodeMeta meta = Codes.meta(1, D, K);
        SyntheticFirings src = new SyntheticFirings(D, K, 40, 11);
        feed(src, meta, 6 * W); // baseline = window 0, then 5 windows to test
        List<JsonNode> quiet = driftEvents();
        assertThat(quiet).hasSize(6);
        assertThat(quiet.get(0).get("decision").isNull()).as("window 0 is the baseline itself: not tested").isTrue();
        for (JsonNode e : quiet.subList(1, 6)) {
            assertThat(e.at("/decision/detected").asBoolean()).as("stationary window %s: %s", e.get("windowIndex"), e).isFalse();
            assertThat(e.at("/decision/falseAlarmRate").asDouble()).isEqualTo(1e-3);
            assertThat(e.get("consecutiveDetected").asInt()).isZero();
        }
        assertThat(gauge("livesae.monitor.drift.detected")).isZero();
        assertThat(gauge("livesae.monitor.drift.p.value")).isGreaterThan(1e-3);

        src.shiftTo(40); // new topics: a change of domain at a window boundary
        feed(src, meta, 2 * W);
        List<JsonNode> shifted = driftEvents();
        assertThat(shifted).hasSize(2);
        JsonNode first = shifted.get(0);
        assertThat(first.at("/decision/detected").asBoolean()).as("%s", first).isTrue();
        assertThat(first.at("/decision/log10PValue").asDouble()).isLessThan(-3);
        assertThat(first.get("consecutiveDetected").asInt()).isEqualTo(1);
        assertThat(shifted.get(1).get("consecutiveDetected").asInt()).isEqualTo(2);
        JsonNode movers = first.at("/decision/movers");
        assertThat(movers.size()).isEqualTo(DriftOptions.DEFAULT_MOVERS);
        JsonNode top = movers.get(0);
        assertThat(top.get("contribution").asDouble()).isGreaterThanOrEqualTo(movers.get(1).get("contribution").asDouble());
        assertThat(Math.abs(top.get("windowDensity").asDouble() - top.get("baselineDensity").asDouble())).isGreaterThan(0.01);
        assertThat(gauge("livesae.monitor.drift.detected")).isEqualTo(1.0);
        assertThat(gauge("livesae.monitor.drift.consecutive")).isEqualTo(2.0);
        assertThat(gauge("livesae.monitor.drift.p.value")).isLessThan(1e-3);
    }

    @Test
    void rollingBaselineStartsAfterNWindowsAndFollowsTheNewDomain() throws Exception {
        start(MonitorOptions.forTopics("unused:9092", List.of(CODES)).withWindowTokens(W)
                .withDrift(new DriftOptions(1e-3, 3, 5)));
        CodeMeta meta = Codes.meta(1, D, K);
        SyntheticFirings src = new SyntheticFirings(D, K, 40, 12);
        feed(src, meta, 3 * W);
        List<JsonNode> all = new ArrayList<>();
        for (byte[] v : drift.readValuesToList()) {
            all.add(Json.MAPPER.readTree(v));
        }
        assertThat(all).extracting(n -> n.get("type").asText()).containsExactly("BASELINE");
        assertThat(all.get(0).get("baselineSource").asText()).isEqualTo("rolling");
        assertThat(all.get(0).get("baselineTokens").asLong()).isEqualTo(3L * W);

        feed(src, meta, 2 * W);
        List<JsonNode> quiet = driftEvents();
        assertThat(quiet).extracting(e -> e.at("/decision/detected").asBoolean()).containsExactly(false, false);
        src.shiftTo(40);
        feed(src, meta, 6 * W);
        List<JsonNode> after = driftEvents();
        assertThat(after.get(0).at("/decision/detected").asBoolean()).as("first shifted window").isTrue();
        assertThat(after.get(0).at("/decision/movers").size()).isEqualTo(5);
        // three windows later the rolling baseline holds only the new domain: quiet again
        assertThat(after.get(5).at("/decision/detected").asBoolean()).as("%s", after.get(5)).isFalse();
        assertThat(after.get(5).get("baselineSource").asText()).isEqualTo("rolling");
    }
}
