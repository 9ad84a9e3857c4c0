package dev.livesae.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livesae.engine.Sae;
import dev.livesae.engine.SaeConfig;
import dev.livesae.engine.SaeTrainer;
import dev.livesae.engine.TopKCodes;
import dev.livesae.monitor.MonitorMetrics;
import dev.livesae.monitor.MonitorOptions;
import dev.livesae.monitor.MonitorTopology;
import dev.livesae.monitor.TelemetryListener;
import dev.livesae.sources.model.ForwardPass;
import dev.livesae.sources.model.MiniLmModel;
import dev.livesae.sources.EuroparlCorpus;
import dev.livesae.sources.TextLines;
import dev.livesae.wire.CodeBatch;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The monitor's drift decision on real MiniLM activations of real text, through the production topology
 * ({@link MonitorTopology#build} in a {@link TopologyTestDriver}, so no broker timing is involved): a TopK SAE is
 * trained in-test on English Europarl sentences at {@code blocks.3.hook_resid_post}, then frozen; the monitor sees
 * English sentences (in shuffled order, as a service sees interleaved requests) and then sentences in the
 * corpus's other languages. With the default false-alarm rate, the English windows must stay quiet and the other
 * languages must be declared drifted within two windows.
 */
class DriftOnRealTextTest {
    static final String HOOK = MiniLmModel.residPost(3);
    static final String SAE_ID = "sae-drift-real-text";
    static final int D_SAE = 2_048;
    static final int K = 32;
    static final int W = 2_000;
    static final int STATIONARY_WINDOWS = 4;
    static final int TRAIN_TOKENS = 2_000;
    static final String CODES = Topics.codes(MiniLmModel.MODEL_NAME, HOOK);

    static MiniLmModel minilm;
    static List<String> english;
    static List<String> otherLanguages;

    @TempDir
    Path state;

    /** Activations of consecutive texts: rows (tokens) with their sequence ids and positions. */
    record Rows(float[] x, long[] seq, int[] pos, int[] tok, int rows) {
        Rows slice(int from, int to) {
            int d = x.length / rows;
            return new Rows(Arrays.copyOfRange(x, from * d, to * d), Arrays.copyOfRange(seq, from, to),
                    Arrays.copyOfRange(pos, from, to), Arrays.copyOfRange(tok, from, to), to - from);
        }
    }

    @BeforeAll
    static void loadModelAndTexts() {
        minilm = MiniLmModel.load(MiniLmModel.DEFAULT_MAX_LENGTH, 0);
        // the English filter keeps a subsequence of all texts in file order: walking both splits the corpus into
        // English texts and texts in the other ten languages
        english = new ArrayList<>();
        otherLanguages = new ArrayList<>();
        try (TextLines all = EuroparlCorpus.lines(EuroparlCorpus.Filter.ALL);
             TextLines en = EuroparlCorpus.lines(EuroparlCorpus.Filter.ENGLISH)) {
            String nextEnglish = en.hasNext() ? en.next() : null;
            while (all.hasNext() && (english.size() < 1_500 || otherLanguages.size() < 1_500)) {
                String t = all.next();
                if (t.equals(nextEnglish)) {
                    english.add(t);
                    nextEnglish = en.hasNext() ? en.next() : null;
                } else {
                    otherLanguages.add(t);
                }
            }
        }
        Collections.shuffle(english, new Random(7));
        Collections.shuffle(otherLanguages, new Random(8));
    }

    @AfterAll
    static void close() {
        if (minilm != null) {
            minilm.close();
        }
    }

    /** MiniLM activations at {@link #HOOK} of texts from {@code texts[from..]} until at least {@code tokens} rows. */
    static Rows activations(List<String> texts, int from, int tokens, long firstSequence) {
        List<float[]> xs = new ArrayList<>();
        List<ForwardPass> passes = new ArrayList<>();
        int rows = 0;
        int next = from;
        while (rows < tokens) {
            if (next >= texts.size()) {
                throw new IllegalStateException("not enough texts for " + tokens + " tokens (have " + rows + ")");
            }
            List<String> batch = texts.subList(next, Math.min(texts.size(), next + 32));
            next += batch.size();
            ForwardPass pass = minilm.forward(batch, Set.of(HOOK));
            passes.add(pass);
            xs.add(pass.block(HOOK).values());
            rows += pass.rows();
        }
        int d = xs.get(0).length / passes.get(0).rows();
        float[] x = new float[rows * d];
        long[] seq = new long[rows];
        int[] pos = new int[rows];
        int[] tok = new int[rows];
        int r = 0;
        long base = firstSequence;
        for (int p = 0; p < passes.size(); p++) {
            ForwardPass pass = passes.get(p);
            System.arraycopy(xs.get(p), 0, x, r * d, pass.rows() * d);
            for (int i = 0; i < pass.rows(); i++, r++) {
                seq[r] = base + pass.sequenceIndex()[i];
                pos[r] = pass.positions()[i];
                tok[r] = pass.tokenIds()[i];
            }
            base += pass.sequences();
        }
        return new Rows(x, seq, pos, tok, rows);
    }

    static Sae trainSae(Rows train) {
        SaeConfig cfg = SaeConfig.defaults(train.x().length / train.rows(), D_SAE, K).withSeed(13);
        int batch = 1_024;
        try (SaeTrainer t = SaeTrainer.create(cfg, train.slice(0, batch).x(), batch)) {
            for (int epoch = 0; epoch < 8; epoch++) {
                for (int from = 0; from + batch <= train.rows(); from += batch) {
                    t.step(train.slice(from, from + batch).x(), batch);
                }
            }
            return t.snapshot();
        }
    }

    @Test
    void englishWindowsStayQuietAndOtherLanguagesAreDetectedWithinTwoWindows() throws Exception {
        long t0 = System.nanoTime();
        Rows train = activations(english, 0, TRAIN_TOKENS, 0);
        int usedForTraining = (int) (train.seq()[train.rows() - 1] + 1);
        Sae sae = trainSae(train);
        Rows en = activations(english, usedForTraining, (1 + STATIONARY_WINDOWS) * W, 1_000_000);
        Rows other = activations(otherLanguages, 0, 2 * W, 2_000_000);
        double inferenceAndTraining = (System.nanoTime() - t0) / 1e9;

        MonitorOptions options = MonitorOptions.forTopics("unused:9092", List.of(CODES)).withWindowTokens(W);
        MonitorMetrics metrics = new MonitorMetrics();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        metrics.bindTo(registry);
        CodeMeta meta = new CodeMeta(SAE_ID, 1, MiniLmModel.MODEL_NAME, HOOK, sae.dIn(), sae.dSae(), sae.k());
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> events = new ArrayList<>();
        try (CodeBatchSerde serde = new CodeBatchSerde();
             TopologyTestDriver driver = new TopologyTestDriver(MonitorTopology.build(options, metrics, TelemetryListener.NONE),
                     MonitorTopology.streamsConfig(options, Map.of(StreamsConfig.STATE_DIR_CONFIG, state.toString())))) {
            TestInputTopic<byte[], byte[]> codes = driver.createInputTopic(CODES, new ByteArraySerializer(), new ByteArraySerializer());
            TestOutputTopic<byte[], byte[]> drift = driver.createOutputTopic(Topics.drift(MiniLmModel.MODEL_NAME, HOOK),
                    new ByteArrayDeserializer(), new ByteArrayDeserializer());
            for (Rows part : List.of(en.slice(0, (1 + STATIONARY_WINDOWS) * W), other.slice(0, 2 * W))) {
                for (int from = 0; from < part.rows(); from += 512) {
                    Rows r = part.slice(from, Math.min(part.rows(), from + 512));
                    TopKCodes c = sae.encode(r.x(), r.rows());
                    CodeBatch b = new CodeBatch(meta, r.seq(), r.pos(), r.tok(), c.indices(), c.values(), c.reconError(),
                            c.centeredSqNorm());
                    codes.pipeInput(null, serde.serializer().serialize(CODES, b));
                }
            }
            for (byte[] v : drift.readValuesToList()) {
                JsonNode e = json.readTree(v);
                if (e.get("type").asText().equals("DRIFT")) {
                    events.add(e);
                }
            }
        }
        double total = (System.nanoTime() - t0) / 1e9;

        assertThat(events).hasSize(1 + STATIONARY_WINDOWS + 2);
        for (JsonNode e : events) {
            System.out.printf(Locale.ROOT, "real text W=%d d_sae=%d k=%d window %d (%s): PSI %.3f JS %.4f p %s log10 p %s "
                            + "detected %s dispersion %s bins %s top movers %s%n", W, D_SAE, K, e.get("windowIndex").asLong(),
                    e.get("windowIndex").asLong() <= STATIONARY_WINDOWS ? "English" : "other languages",
                    e.get("psi").asDouble(), e.get("jsBits").asDouble(), e.at("/decision/pValue"),
                    e.at("/decision/log10PValue"), e.at("/decision/detected"), e.at("/decision/dispersion"),
                    e.at("/decision/bins"), e.at("/decision/movers").size() > 3
                            ? List.of(e.at("/decision/movers/0"), e.at("/decision/movers/1"), e.at("/decision/movers/2")) : "");
        }
        System.out.printf(Locale.ROOT, "real text: inference + SAE training %.1f s, total %.1f s%n", inferenceAndTraining, total);

        assertThat(events.get(0).get("decision").isNull()).as("window 0 is the baseline").isTrue();
        for (JsonNode e : events.subList(1, 1 + STATIONARY_WINDOWS)) {
            assertThat(e.at("/decision/detected").asBoolean()).as("English window %s: %s", e.get("windowIndex"), e).isFalse();
        }
        List<JsonNode> shifted = events.subList(1 + STATIONARY_WINDOWS, events.size());
        assertThat(shifted.stream().anyMatch(e -> e.at("/decision/detected").asBoolean()))
                .as("other languages detected within 2 windows: %s", shifted).isTrue();
        JsonNode firstDetected = shifted.stream().filter(e -> e.at("/decision/detected").asBoolean()).findFirst().orElseThrow();
        JsonNode top = firstDetected.at("/decision/movers/0");
        assertThat(top.get("windowDensity").asDouble()).isNotEqualTo(top.get("baselineDensity").asDouble());
        assertThat(registry.get("livesae.monitor.drift.detected").gauge().value()).isEqualTo(1.0);
    }
}
