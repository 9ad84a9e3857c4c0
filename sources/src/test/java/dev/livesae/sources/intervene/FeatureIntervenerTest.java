package dev.livesae.sources.intervene;

import static dev.livesae.sources.model.SplitTransformerTest.maxAbsDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livesae.engine.io.Safetensors;
import dev.livesae.sources.model.MiniLmModel;
import dev.livesae.sources.model.SplitTransformer;
import dev.livesae.sources.model.TokenBatch;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeatureIntervenerTest {

    static final List<String> TEXTS = List.of(
            "The European Parliament adopted the resolution.",
            "Madam President, I would like to thank the rapporteur for an excellent report on the common fisheries policy.",
            "Thank you.");
    static MiniLmModel model;
    static SaeDictionary sae;

    @BeforeAll
    static void load() {
        model = MiniLmModel.load();
        sae = SaeDictionary.of(TrainedSae.get(model));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void plainFloatEncodeGivesTheEnginesTopKCodesAndReconstruction() {
        dev.livesae.engine.Sae engine = TrainedSae.get(model);
        float[] x = model.forward(TEXTS, Set.of(TrainedSae.HOOK)).block(TrainedSae.HOOK).values();
        int rows = x.length / 384;
        dev.livesae.engine.TopKCodes codes = engine.encode(x, rows);
        float[] z = sae.encode(x, rows);
        int n = sae.dSae();
        for (int r = 0; r < rows; r++) {
            int firing = 0;
            for (int i = 0; i < n; i++) {
                if (z[r * n + i] > 0) {
                    firing++;
                }
            }
            assertThat(firing).as("row %d", r).isLessThanOrEqualTo(engine.k());
            for (int s = 0; s < engine.k(); s++) {
                float v = codes.values()[r * engine.k() + s];
                if (v > 1e-4f) { // below that, which of two near-ties is kept may differ between the kernels
                    assertThat((double) z[r * n + codes.indices()[r * engine.k() + s]]).as("row %d slot %d", r, s)
                            .isCloseTo(v, org.assertj.core.api.Assertions.within(1e-4));
                }
            }
        }
        float[] xhat = sae.decode(z, rows);
        float[] engineXhat = engine.decode(codes);
        assertThat(maxAbsDiff(xhat, engineXhat)).isLessThan(1e-3);
    }

    @Test
    void identityInterventionAtEveryResidualHookpointLeavesTheModelOutputExact() {
        TokenBatch batch = model.tokenizer().encode(TEXTS);
        String last = MiniLmModel.residPost(MiniLmModel.LAYERS - 1);
        float[] unsplit = model.forward(batch, Set.of(last)).block(last).values();
        FeatureIntervener intervener = new FeatureIntervener(sae, null);
        // edits that change no code: scaling by 1, steering by 0, and no edit at all
        List<List<FeatureEdit>> identities = List.of(List.of(), List.of(FeatureEdit.scale(5, 1f), FeatureEdit.steer(9, 0f)));
        for (int layer = 0; layer < MiniLmModel.LAYERS; layer++) {
            try (SplitTransformer split = model.split(MiniLmModel.residPost(layer))) {
                SplitTransformer.Head head = split.head(batch);
                for (List<FeatureEdit> edits : identities) {
                    assertThat(intervener.apply(head.rows(), head.tokens(), edits)).as("edited rows, layer %d", layer).isEqualTo(head.rows());
                    float[] out = intervener.forward(split, batch, edits);
                    assertThat(maxAbsDiff(out, unsplit)).as("output with %s at layer %d", edits, layer).isLessThan(2e-4);
                }
            }
        }
    }

    @Test
    void ablatingEveryActiveFeatureKeepingTheErrorTermEqualsSplicingInTheErrorTermPlusBDec() {
        TokenBatch batch = model.tokenizer().encode(TEXTS);
        try (SplitTransformer split = model.split(TrainedSae.HOOK)) {
            SplitTransformer.Head head = split.head(batch);
            float[] x = head.rows();
            int rows = head.tokens();
            float[] z = sae.encode(x, rows);
            Set<Integer> active = new TreeSet<>();
            for (int i = 0; i < z.length; i++) {
                if (z[i] > 0) {
                    active.add(i % sae.dSae());
                }
            }
            assertThat(active.size()).isGreaterThan(16);
            List<FeatureEdit> ablateAll = active.stream().map(FeatureEdit::ablate).toList();
            float[] ablated = new FeatureIntervener(sae, null).forward(split, batch, ablateAll);

            // x' = x_hat(0) + (x - x_hat(z)) = b_dec + (x - x_hat(z)): the error term plus b_dec
            float[] xhat = sae.decode(z, rows);
            float[] bDec = sae.decoderBias();
            float[] errorPlusBDec = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                errorPlusBDec[i] = x[i] - xhat[i] + bDec[i % bDec.length];
            }
            float[] reference = split.tail(head, errorPlusBDec);
            assertThat(maxAbsDiff(ablated, reference)).isLessThan(1e-4);
            // and it is a real change of the model's output
            assertThat(maxAbsDiff(ablated, split.tail(head, x))).isGreaterThan(0.05);
        }
    }

    @Test
    void steeringAlongAFeatureRaisesThatFeaturesActivationWhenReEncoded() {
        TokenBatch batch = model.tokenizer().encode(TEXTS);
        try (SplitTransformer split = model.split(TrainedSae.HOOK)) {
            SplitTransformer.Head head = split.head(batch);
            float[] x = head.rows();
            int rows = head.tokens();
            int n = sae.dSae();
            float[] z = sae.encode(x, rows);
            // the feature firing most often on these tokens that fires on fewer than all of them
            int[] fires = new int[n];
            double maxAct = 0;
            for (int i = 0; i < z.length; i++) {
                if (z[i] > 0) {
                    fires[i % n]++;
                    maxAct = Math.max(maxAct, z[i]);
                }
            }
            int j = 0;
            for (int i = 0; i < n; i++) {
                if (fires[i] < rows && fires[i] > fires[j]) {
                    j = i;
                }
            }
            float[] steered = new FeatureIntervener(sae, null).apply(x, rows, List.of(FeatureEdit.steer(j, (float) maxAct)));
            float[] z2 = sae.encode(steered, rows);
            double before = 0;
            double after = 0;
            int raised = 0;
            for (int r = 0; r < rows; r++) {
                before += z[r * n + j];
                after += z2[r * n + j];
                if (z2[r * n + j] > z[r * n + j]) {
                    raised++;
                }
            }
            assertThat(after / rows).as("mean activation of feature %d after steering", j).isGreaterThan(before / rows + 0.5 * maxAct);
            assertThat(raised).isGreaterThan(rows * 3 / 4);
            // and ablating the same feature lowers it to (nearly) nothing
            float[] ablated = new FeatureIntervener(sae, null).apply(x, rows, List.of(FeatureEdit.ablate(j)));
            float[] z3 = sae.encode(ablated, rows);
            double afterAblation = 0;
            for (int r = 0; r < rows; r++) {
                afterAblation += z3[r * n + j];
            }
            assertThat(afterAblation).isLessThan(before * 0.5);
        }
    }

    @Test
    void clampAndScaleSetTheCodeAsDefinedKeepingEverythingElse() {
        TokenBatch batch = model.tokenizer().encode(TEXTS.subList(0, 1));
        try (SplitTransformer split = model.split(TrainedSae.HOOK)) {
            SplitTransformer.Head head = split.head(batch);
            float[] x = head.rows();
            int rows = head.tokens();
            float[] z = sae.encode(x, rows);
            int n = sae.dSae();
            int j = 0;
            while (z[j] <= 0) {
                j++; // a feature firing on the first token
            }
            FeatureIntervener iv = new FeatureIntervener(sae, null);
            float[] w = sae.decoderRow(j);
            float[] clamped = iv.apply(x, rows, List.of(FeatureEdit.clamp(j, 3f)));
            float[] scaled = iv.apply(x, rows, List.of(FeatureEdit.scale(j, 2f), FeatureEdit.scale(j, 0.5f), FeatureEdit.scale(j, 3f)));
            for (int r = 0; r < rows; r++) {
                for (int q = 0; q < 384; q++) {
                    float zj = z[r * n + j];
                    assertThat((double) clamped[r * 384 + q]).isCloseTo(x[r * 384 + q] + (3f - zj) * w[q], org.assertj.core.api.Assertions.within(1e-5));
                    assertThat((double) scaled[r * 384 + q]).isCloseTo(x[r * 384 + q] + 2f * zj * w[q], org.assertj.core.api.Assertions.within(1e-5));
                }
            }
        }
    }

    @Test
    void countsInterventionsByKindAndOnlyTrackedFeaturesByIdAndRefusesUnknownLatents() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        InterventionMetrics metrics = new InterventionMetrics(registry, TrainedSae.HOOK, Set.of(7));
        FeatureIntervener iv = new FeatureIntervener(sae, metrics);
        float[] x = new float[384];
        iv.apply(x, 1, List.of(FeatureEdit.ablate(7), FeatureEdit.ablate(8), FeatureEdit.steer(7, 1f)));
        iv.apply(x, 1, List.of(FeatureEdit.steer(8, 1f)));
        assertThat(registry.get("livesae.intervention.requests").tag("kind", "ablate").counter().count()).isEqualTo(2);
        assertThat(registry.get("livesae.intervention.requests").tag("kind", "steer").counter().count()).isEqualTo(2);
        assertThat(registry.get("livesae.intervention.feature.requests").tag("kind", "ablate").tag("feature", "7").counter().count()).isEqualTo(1);
        assertThat(registry.get("livesae.intervention.feature.requests").tag("kind", "steer").tag("feature", "7").counter().count()).isEqualTo(1);
        assertThat(registry.find("livesae.intervention.feature.requests").tag("feature", "8").counters()).isEmpty();
        assertThat(registry.get("livesae.intervention.duration").timer().count()).isEqualTo(2);
        assertThatThrownBy(() -> iv.apply(x, 1, List.of(FeatureEdit.ablate(sae.dSae()))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(Integer.toString(sae.dSae()));
        Set<Integer> tooMany = new TreeSet<>();
        for (int i = 0; i <= InterventionMetrics.MAX_TRACKED; i++) {
            tooMany.add(i);
        }
        assertThatThrownBy(() -> new InterventionMetrics(new SimpleMeterRegistry(), "h", tooMany))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("trackedFeatures");
    }

    @Test
    void parsesEditsAndNamesTheFlagOnBadOnes() {
        assertThat(FeatureEdit.parse("ablate:12", "--edit")).isEqualTo(FeatureEdit.ablate(12));
        assertThat(FeatureEdit.parse("clamp:3=2.5", "--edit")).isEqualTo(FeatureEdit.clamp(3, 2.5f));
        assertThat(FeatureEdit.parse("scale:3=-1", "--edit")).isEqualTo(FeatureEdit.scale(3, -1f));
        assertThat(FeatureEdit.parse("STEER:40=8", "--edit")).isEqualTo(FeatureEdit.steer(40, 8f));
        for (String bad : List.of("ablate", "ablate:1=2", "steer:1", "boost:1=2", "steer:x=1", "clamp:-1=2", "steer:1=NaN")) {
            assertThatThrownBy(() -> FeatureEdit.parse(bad, "--edit")).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--edit").hasMessageContaining(bad);
        }
    }

    @Test
    void loadsAJumpReluDictionaryEitherWayAndEditsItsCodesWithTheSameMath(@TempDir Path root) throws Exception {
        // SAELens-layout JumpReLU exports of the trained SAE's weights with a threshold per latent: one with
        // apply_b_dec_to_input true (read by the engine), one with false and b_dec folded into b_enc (read here)
        dev.livesae.engine.Sae engine = TrainedSae.get(model);
        int d = sae.dIn();
        int n = sae.dSae();
        float[] wEncT = new float[d * n];
        float[] rowsByLatent = sae.encoderRowsByLatent();
        float[] bDec = sae.decoderBias();
        float[] bEnc = engine.encoderBias();
        float[] bEncFolded = bEnc.clone();
        for (int i = 0; i < n; i++) {
            for (int q = 0; q < d; q++) {
                wEncT[q * n + i] = rowsByLatent[i * d + q];
                bEncFolded[i] -= rowsByLatent[i * d + q] * bDec[q];
            }
        }
        float[] threshold = new float[n];
        java.util.Arrays.fill(threshold, 0.05f);
        TokenBatch batch = model.tokenizer().encode(TEXTS.subList(0, 1));
        float[] x = model.forward(batch, Set.of(TrainedSae.HOOK)).block(TrainedSae.HOOK).values();
        int rows = batch.tokens();
        float[][] codes = new float[2][];
        for (boolean applyBDec : new boolean[] {true, false}) {
            Path dir = root.resolve("b_dec_" + applyBDec);
            Files.createDirectories(dir);
            new Safetensors.Writer().f32("W_enc", wEncT, d, n).f32("W_dec", sae.decoderRows(), n, d)
                    .f32("b_enc", applyBDec ? bEnc : bEncFolded, n).f32("b_dec", bDec, d).f32("threshold", threshold, n)
                    .metadata("format", "pt").write(dir.resolve("sae_weights.safetensors"));
            Files.writeString(dir.resolve("cfg.json"), "{\"architecture\":\"jumprelu\",\"d_in\":" + d + ",\"d_sae\":" + n
                    + ",\"apply_b_dec_to_input\":" + applyBDec + ",\"normalize_activations\":\"none\"}");
            SaeDictionary jump = SaeDictionary.load(dir);
            assertThat(jump.activation()).isInstanceOf(Activation.JumpRelu.class);
            float[] z = jump.encode(x, rows);
            codes[applyBDec ? 0 : 1] = z;
            List<Integer> firing = new ArrayList<>();
            for (int i = 0; i < z.length; i++) {
                assertThat(z[i] == 0f || z[i] > 0.05f).isTrue();
                if (i < n && z[i] > 0) {
                    firing.add(i);
                }
            }
            assertThat(firing).isNotEmpty();
            // ablating every latent firing on the first token removes exactly their decoder contributions there
            float[] ablated = new FeatureIntervener(jump, null).apply(x, rows, firing.stream().map(FeatureEdit::ablate).toList());
            float[] expected = java.util.Arrays.copyOf(x, d);
            for (int i : firing) {
                float[] w = jump.decoderRow(i);
                for (int q = 0; q < d; q++) {
                    expected[q] -= z[i] * w[q];
                }
            }
            assertThat(maxAbsDiff(java.util.Arrays.copyOf(ablated, d), expected)).isLessThan(1e-4);
        }
        // both readings are the same encoder
        assertThat(maxAbsDiff(codes[0], codes[1])).isLessThan(1e-3);
    }
}
