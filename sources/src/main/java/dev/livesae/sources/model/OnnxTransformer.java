package dev.livesae.sources.model;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Any ONNX transformer taking {@code input_ids} / {@code attention_mask} (and optionally
 * {@code token_type_ids}) of shape [batch, seq], run with ONNX Runtime, with named intermediate tensors
 * exposed as hookpoints: at load time every hookpoint's tensor is added as a graph output
 * ({@link OnnxGraph#withExtraOutputs}), and {@link #run} returns the requested ones with padding removed.
 */
public final class OnnxTransformer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OnnxTransformer.class);
    static final String INPUT_IDS = "input_ids";
    static final String ATTENTION_MASK = "attention_mask";
    static final String TOKEN_TYPE_IDS = "token_type_ids";

    private final OrtEnvironment env;
    private final OrtSession session;
    private final Map<String, Hookpoint> hookpoints;

    /**
     * Loads the model with the hookpoints' tensors added as outputs.
     *
     * @param hookTensors hookpoint name -> graph tensor name, in display order
     * @param descriptions hookpoint name -> description (missing: empty)
     * @param threads ONNX Runtime intra-op threads (0 = ONNX Runtime's default)
     */
    public OnnxTransformer(byte[] modelBytes, Map<String, String> hookTensors, Map<String, String> descriptions, int threads) {
        this(OnnxGraph.parse(modelBytes), hookTensors, descriptions, threads);
    }

    /** As above, for a model already parsed (e.g. to resolve hookpoint tensors from node names). */
    public OnnxTransformer(OnnxGraph graph, Map<String, String> hookTensors, Map<String, String> descriptions, int threads) {
        if (hookTensors.isEmpty()) {
            throw new IllegalArgumentException("hookTensors must name at least one hookpoint");
        }
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be >= 0 (got " + threads + ")");
        }
        for (String required : List.of(INPUT_IDS, ATTENTION_MASK)) {
            if (!graph.inputs().contains(required)) {
                throw new IllegalArgumentException("ONNX model has no input " + required + " (inputs: " + graph.inputs() + ")");
            }
        }
        byte[] edited = graph.withExtraOutputs(new LinkedHashSet<>(hookTensors.values()));
        this.env = OrtEnvironment.getEnvironment();
        try {
            this.session = createSession(env, edited, threads);
            this.hookpoints = probeWidths(hookTensors, descriptions);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime could not load the model: " + e.getMessage(), e);
        }
        log.info("loaded ONNX transformer with {} hookpoints, outputs {}", hookpoints.size(), session.getOutputNames().size());
    }

    /** A session with all graph optimisations and {@code threads} intra-op threads (0 = ONNX Runtime's default). */
    static OrtSession createSession(OrtEnvironment env, byte[] model, int threads) throws OrtException {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            if (threads > 0) {
                options.setIntraOpNumThreads(threads);
            }
            return env.createSession(model, options);
        }
    }

    /** Runs one token so each hookpoint's width is known from the model itself. */
    private Map<String, Hookpoint> probeWidths(Map<String, String> hookTensors, Map<String, String> descriptions) throws OrtException {
        TokenBatch probe = new TokenBatch(new long[][] {{0, 0}}, new long[][] {{1, 1}}, new int[] {2});
        Map<String, Hookpoint> out = new LinkedHashMap<>();
        try (Inputs in = new Inputs(env, probe, session.getInputNames()); OrtSession.Result result = session.run(in.map, new LinkedHashSet<>(hookTensors.values()))) {
            for (Map.Entry<String, String> e : hookTensors.entrySet()) {
                long[] shape = ((OnnxTensor) result.get(e.getValue()).orElseThrow()).getInfo().getShape();
                if (shape.length != 3) {
                    throw new IllegalArgumentException("hookpoint " + e.getKey() + ": tensor " + e.getValue()
                            + " must be [batch, seq, d] (got rank " + shape.length + ")");
                }
                out.put(e.getKey(), new Hookpoint(e.getKey(), e.getValue(), Math.toIntExact(shape[2]),
                        descriptions.getOrDefault(e.getKey(), "")));
            }
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    /** Hookpoints in display order. */
    public List<Hookpoint> hookpoints() {
        return List.copyOf(hookpoints.values());
    }

    public Hookpoint hookpoint(String name) {
        Hookpoint h = hookpoints.get(name);
        if (h == null) {
            throw new IllegalArgumentException("unknown hookpoint " + name + " (known: " + hookpoints.keySet() + ")");
        }
        return h;
    }

    /**
     * One forward pass. Returns, per requested hookpoint, the activations of the real tokens only
     * (attention mask 1), row-major [tokens, d], sequences in order, positions ascending.
     */
    public Map<String, float[]> run(TokenBatch batch, Set<String> hooks) {
        if (hooks.isEmpty()) {
            throw new IllegalArgumentException("hookpoints must not be empty");
        }
        Map<String, String> tensorToHook = new HashMap<>();
        for (String h : hooks) {
            tensorToHook.put(hookpoint(h).tensor(), h);
        }
        Map<String, float[]> out = new LinkedHashMap<>();
        try (Inputs in = new Inputs(env, batch, session.getInputNames()); OrtSession.Result result = session.run(in.map, tensorToHook.keySet())) {
            for (Map.Entry<String, OnnxValue> e : result) {
                String hook = tensorToHook.get(e.getKey());
                int d = hookpoints.get(hook).dIn();
                out.put(hook, SplitTransformer.realRows(batch, ((OnnxTensor) e.getValue()).getFloatBuffer(), d));
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime forward failed: " + e.getMessage(), e);
        }
        return out;
    }

    /** The input tensors of one batch that a session reads (of input_ids, attention_mask, token_type_ids), closed together. */
    static final class Inputs implements AutoCloseable {
        final Map<String, OnnxTensor> map = new HashMap<>();

        Inputs(OrtEnvironment env, TokenBatch batch, Set<String> sessionInputs) throws OrtException {
            try {
                if (sessionInputs.contains(INPUT_IDS)) {
                    map.put(INPUT_IDS, OnnxTensor.createTensor(env, batch.inputIds()));
                }
                if (sessionInputs.contains(ATTENTION_MASK)) {
                    map.put(ATTENTION_MASK, OnnxTensor.createTensor(env, batch.attentionMask()));
                }
                if (sessionInputs.contains(TOKEN_TYPE_IDS)) {
                    map.put(TOKEN_TYPE_IDS, OnnxTensor.createTensor(env, new long[batch.sequences()][batch.paddedLength()]));
                }
            } catch (OrtException | RuntimeException e) {
                close();
                throw e;
            }
        }

        @Override
        public void close() {
            map.values().forEach(OnnxTensor::close);
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            log.warn("closing ONNX session failed: {}", e.getMessage());
        }
    }
}
