package dev.livesae.sources.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

public class SplitTransformerTest {

    static final List<String> TEXTS = List.of(
            "The European Parliament adopted the resolution.",
            "Madam President, I would like to thank the rapporteur for an excellent report on the common fisheries policy.",
            "Thank you.");
    static final String LAST = MiniLmModel.residPost(MiniLmModel.LAYERS - 1);
    static MiniLmModel model;

    @BeforeAll
    static void load() {
        model = MiniLmModel.load();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** Largest absolute elementwise difference; also used by the intervention tests. */
    public static double maxAbsDiff(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @Test
    void identityEditAtEveryResidualHookpointReproducesTheUnsplitModel() {
        TokenBatch batch = model.tokenizer().encode(TEXTS);
        ForwardPass whole = model.forward(batch, Set.of(LAST));
        float[] wholeLast = whole.block(LAST).values();
        float[] wholeEmb = MiniLmModel.sentenceEmbeddings(wholeLast, batch.lengths(), 384);
        // the 6 residual-stream outputs of the blocks, plus the embeddings and one mid-block stream
        List<Hookpoint> hooks = model.hookpoints().stream().filter(h -> h.name().endsWith("resid_post")
                || h.name().equals(MiniLmModel.HOOK_EMBED) || h.name().equals(MiniLmModel.residMid(2))).toList();
        assertThat(hooks).hasSize(MiniLmModel.LAYERS + 2);
        for (Hookpoint h : hooks) {
            try (SplitTransformer split = model.split(h.name())) {
                SplitTransformer.Head head = split.head(batch);
                float[] hook = model.forward(batch, Set.of(h.name())).block(h.name()).values();
                assertThat(maxAbsDiff(head.rows(), hook)).as("head rows at %s", h.name()).isLessThan(2e-4);
                float[] last = split.tail(head, head.rows());
                assertThat(split.outputWidth()).isEqualTo(384);
                assertThat(maxAbsDiff(last, wholeLast)).as("last hidden state, split at %s", h.name()).isLessThan(2e-4);
                float[] emb = MiniLmModel.sentenceEmbeddings(last, batch.lengths(), 384);
                assertThat(maxAbsDiff(emb, wholeEmb)).as("sentence embeddings, split at %s", h.name()).isLessThan(1e-5);
            }
        }
    }

    @Test
    void theTailReallyContinuesFromTheGivenActivations() {
        TokenBatch batch = model.tokenizer().encode(TEXTS);
        try (SplitTransformer split = model.split(MiniLmModel.residPost(2))) {
            SplitTransformer.Head head = split.head(batch);
            float[] original = split.tail(head, head.rows());
            float[] edited = head.rows();
            for (int j = 0; j < 384; j++) {
                edited[384 + j] = 0f; // the second token of the first text only
            }
            float[] changed = split.tail(head, edited);
            assertThat(maxAbsDiff(changed, original)).isGreaterThan(1e-2);
            // the other texts never attend to the first one: unchanged
            int firstLen = batch.lengths()[0];
            float[] restA = java.util.Arrays.copyOfRange(original, firstLen * 384, original.length);
            float[] restB = java.util.Arrays.copyOfRange(changed, firstLen * 384, changed.length);
            assertThat(maxAbsDiff(restA, restB)).isLessThan(1e-5);
            assertThatThrownBy(() -> split.tail(head, new float[5]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rows");
        }
    }

    @Test
    void cuttingTheGraphRefusesTensorsItCannotCutAt() {
        OnnxGraph graph = OnnxGraph.parse(MiniLmModel.modelBytes());
        assertThatThrownBy(() -> graph.from("input_ids", 384)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("input_ids");
        assertThatThrownBy(() -> graph.from("last_hidden_state", 384)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("graph output");
        assertThatThrownBy(() -> graph.upTo(List.of("nope"))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nope");
        OnnxGraph tail = OnnxGraph.parse(graph.from(model.hookpoint(MiniLmModel.residPost(3)).tensor(), 384));
        assertThat(tail.inputs()).containsExactlyInAnyOrder("attention_mask", model.hookpoint(MiniLmModel.residPost(3)).tensor());
        assertThat(tail.nodes().size()).isLessThan(graph.nodes().size() / 2);
    }
}
