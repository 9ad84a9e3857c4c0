package dev.livesae.sources.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class MiniLmModelTest {

    static final List<String> TEXTS = List.of(
            "The European Parliament adopted the resolution.",
            "Madam President, I would like to thank the rapporteur for an excellent report on the common fisheries policy.",
            "Thank you.");
    static MiniLmModel model;

    @BeforeAll
    static void load() {
        model = MiniLmModel.load();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static Set<String> allResidPost() {
        Set<String> hooks = new LinkedHashSet<>();
        for (int i = 0; i < MiniLmModel.LAYERS; i++) {
            hooks.add(MiniLmModel.residPost(i));
        }
        return hooks;
    }

    @Test
    void offersEmbedMidAndPostHookpointsOfWidth384() {
        List<Hookpoint> hooks = model.hookpoints();
        assertThat(hooks).extracting(Hookpoint::name).startsWith(MiniLmModel.HOOK_EMBED)
                .contains("blocks.0.hook_resid_post", "blocks.5.hook_resid_post", "blocks.3.hook_resid_mid")
                .hasSize(1 + 2 * MiniLmModel.LAYERS);
        assertThat(hooks).allSatisfy(h -> assertThat(h.dIn()).isEqualTo(384));
        assertThat(model.hookpoint("blocks.0.hook_resid_post").tensor()).isEqualTo("/encoder/layer.0/output/LayerNorm/Add_1_output_0");
        assertThat(model.hookpoint("blocks.5.hook_resid_post").tensor()).isEqualTo("last_hidden_state");
    }

    @Test
    void lastBlockEqualsTheUneditedModelsOutputAndPaddingIsDropped() throws Exception {
        TokenBatch batch = model.tokenizer().encode(TEXTS);
        assertThat(batch.lengths()[2]).isLessThan(batch.paddedLength()); // the short text really is padded
        ForwardPass pass = model.forward(batch, allResidPost());
        assertThat(pass.rows()).isEqualTo(batch.tokens());

        float[][][] original;
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(MiniLmModel.modelBytes(), new OrtSession.SessionOptions())) {
            assertThat(session.getOutputNames()).containsExactly("last_hidden_state");
            Map<String, OnnxTensor> in = new HashMap<>();
            in.put("input_ids", OnnxTensor.createTensor(env, batch.inputIds()));
            in.put("attention_mask", OnnxTensor.createTensor(env, batch.attentionMask()));
            in.put("token_type_ids", OnnxTensor.createTensor(env, new long[batch.sequences()][batch.paddedLength()]));
            try (OrtSession.Result result = session.run(in)) {
                OnnxValue v = result.get("last_hidden_state").orElseThrow();
                original = (float[][][]) v.getValue();
            } finally {
                in.values().forEach(OnnxTensor::close);
            }
        }
        ActivationBlock last = pass.block("blocks.5.hook_resid_post");
        for (int r = 0; r < pass.rows(); r++) {
            int b = pass.sequenceIndex()[r];
            int t = pass.positions()[r];
            assertThat(t).isLessThan(batch.lengths()[b]);
            float[] row = last.row(r);
            for (int j = 0; j < row.length; j++) {
                assertThat(row[j]).as("row %d (seq %d pos %d) dim %d", r, b, t, j).isCloseTo(original[b][t][j], within(2e-4f));
            }
        }
        // positions restart per sequence and every sequence ends with [SEP]; no pad ids appear
        assertThat(pass.tokenIds()).doesNotContain(0);
        assertThat(model.decode(new int[] {pass.tokenIds()[0], pass.tokenIds()[batch.lengths()[0] - 1]})).containsExactly("[CLS]", "[SEP]");
    }

    @Test
    void blocksDifferFromEachOther() {
        ForwardPass pass = model.forward(TEXTS, allResidPost());
        for (int i = 0; i < MiniLmModel.LAYERS; i++) {
            for (int j = i + 1; j < MiniLmModel.LAYERS; j++) {
                float[] a = pass.block(MiniLmModel.residPost(i)).values();
                float[] b = pass.block(MiniLmModel.residPost(j)).values();
                double meanAbs = 0;
                for (int k = 0; k < a.length; k++) {
                    meanAbs += Math.abs(a[k] - b[k]);
                }
                meanAbs /= a.length;
                assertThat(meanAbs).as("mean |block %d - block %d|", i, j).isGreaterThan(0.05);
            }
        }
    }

    @Test
    void aTextsActivationsDoNotDependOnWhatItIsBatchedWith() {
        String hook = "blocks.2.hook_resid_post";
        ForwardPass alone = model.forward(List.of(TEXTS.get(2)), Set.of(hook));
        ForwardPass batched = model.forward(TEXTS, Set.of(hook));
        int first = 0;
        while (batched.sequenceIndex()[first] != 2) {
            first++;
        }
        assertThat(alone.rows()).isEqualTo(batched.rows() - first);
        for (int r = 0; r < alone.rows(); r++) {
            float[] x = alone.block(hook).row(r);
            float[] y = batched.block(hook).row(first + r);
            for (int j = 0; j < x.length; j++) {
                assertThat(x[j]).isCloseTo(y[j], within(2e-4f));
            }
        }
    }

    @Test
    void meanPooledLastBlockMatchesLangchain4jSentenceEmbedding() {
        String text = TEXTS.get(0);
        float[] reference = new AllMiniLmL6V2EmbeddingModel().embed(text).content().vector();
        ActivationBlock last = model.forward(List.of(text), Set.of("blocks.5.hook_resid_post")).block("blocks.5.hook_resid_post");
        float[] mean = new float[last.dIn()];
        for (int r = 0; r < last.rows(); r++) {
            for (int j = 0; j < mean.length; j++) {
                mean[j] += last.values()[r * mean.length + j] / last.rows();
            }
        }
        double norm = 0;
        for (float v : mean) {
            norm += v * v;
        }
        norm = Math.sqrt(norm);
        for (int j = 0; j < mean.length; j++) {
            assertThat(mean[j] / norm).isCloseTo(reference[j], within(1e-4));
        }
    }

    @Test
    void tokenizerTruncatesToMaxLengthAndDecodesTokenStrings() {
        try (TextTokenizer tok = TextTokenizer.fromJson(readTokenizerJson(), 8)) {
            TokenBatch b = tok.encode(List.of("the quick brown fox jumps over the lazy dog again and again"));
            assertThat(b.lengths()[0]).isEqualTo(8);
            int[] ids = new int[8];
            for (int i = 0; i < 8; i++) {
                ids[i] = (int) b.inputIds()[0][i];
            }
            assertThat(tok.decode(ids)).containsExactly("[CLS]", "the", "quick", "brown", "fox", "jumps", "over", "[SEP]");
            assertThatThrownBy(() -> tok.token(1_000_000)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1000000");
        }
    }

    @Test
    void refusesUnknownHookpointAndUnknownTensor() {
        assertThatThrownBy(() -> model.forward(TEXTS, Set.of("blocks.9.hook_resid_post")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blocks.9.hook_resid_post");
        OnnxGraph graph = OnnxGraph.parse(MiniLmModel.modelBytes());
        assertThatThrownBy(() -> graph.withExtraOutputs(List.of("no_such_tensor")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no_such_tensor");
        assertThatThrownBy(() -> OnnxGraph.parse(new byte[] {0x0a, 0x7f, 0x01}))
                .isInstanceOf(IllegalArgumentException.class);
    }

    static byte[] readTokenizerJson() {
        try (var in = MiniLmModel.class.getClassLoader().getResourceAsStream(MiniLmModel.TOKENIZER_RESOURCE)) {
            return in.readAllBytes();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
