package dev.livesae.sources.model;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An ONNX transformer cut in two at a hookpoint, so Java code runs between the halves: the head session
 * computes the hookpoint's tensor from the token inputs ({@link OnnxGraph#upTo}), the tail session takes
 * that tensor as an input and computes the model's output from it ({@link OnnxGraph#from}; it also reads
 * the attention mask). {@link #head} runs the first half once; {@link #tail} continues from the real tokens'
 * activations, edited or not, as often as wanted (an evaluation runs it for the original, the
 * reconstruction and the ablations of the same batch). When the hookpoint is the model's output itself
 * there is no tail: {@link #tail} returns the rows it is given.
 *
 * <p>Padding positions of the hook tensor keep the head's values; only the real tokens' rows are replaced.
 * Thread safety: as ONNX Runtime sessions, {@link #head} and {@link #tail} may be called concurrently.
 */
public final class SplitTransformer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SplitTransformer.class);

    /** The head's result for one batch: the hook tensor [batch, seq, d] padded, and its real tokens' rows. */
    public static final class Head {
        private final TokenBatch batch;
        private final float[] padded;
        private final float[] rows;

        Head(TokenBatch batch, float[] padded, float[] rows) {
            this.batch = batch;
            this.padded = padded;
            this.rows = rows;
        }

        public TokenBatch batch() {
            return batch;
        }

        /** The real tokens' activations, row-major [tokens, d], sequences in order (a copy). */
        public float[] rows() {
            return rows.clone();
        }

        public int tokens() {
            return batch.tokens();
        }
    }

    private final OrtEnvironment env;
    private final Hookpoint hookpoint;
    private final String outputTensor;
    private final int outputWidth;
    private final OrtSession head;
    private final OrtSession tail;

    /**
     * @param graph the whole model; its single output (for an encoder: the last hidden state [batch, seq, d_out])
     *     is what {@link #tail} returns
     * @param hookpoint where to cut
     * @param threads ONNX Runtime intra-op threads per session (0 = default)
     */
    public SplitTransformer(OnnxGraph graph, Hookpoint hookpoint, int threads) {
        this.hookpoint = Objects.requireNonNull(hookpoint, "hookpoint");
        if (graph.outputs().size() != 1) {
            throw new IllegalArgumentException("a split model needs exactly one graph output (got " + graph.outputs() + ")");
        }
        this.outputTensor = graph.outputs().get(0);
        this.env = OrtEnvironment.getEnvironment();
        boolean identityTail = hookpoint.tensor().equals(outputTensor);
        OrtSession h = null;
        try {
            h = OnnxTransformer.createSession(env, graph.upTo(List.of(hookpoint.tensor())), threads);
            this.head = h;
            this.tail = identityTail ? null : OnnxTransformer.createSession(env, graph.from(hookpoint.tensor(), hookpoint.dIn()), threads);
        } catch (OrtException e) {
            closeQuietly(h);
            throw new IllegalStateException("ONNX Runtime could not load a half of the split model: " + e.getMessage(), e);
        }
        this.outputWidth = identityTail ? hookpoint.dIn() : probeOutputWidth();
        log.info("split model at {} ({}): head inputs {}, tail inputs {}", hookpoint.name(), hookpoint.tensor(),
                head.getInputNames(), tail == null ? "none (identity)" : tail.getInputNames());
    }

    private int probeOutputWidth() {
        TokenBatch probe = new TokenBatch(new long[][] {{0, 0}}, new long[][] {{1, 1}}, new int[] {2});
        Head h = head(probe);
        return tail(h, h.rows).length / 2;
    }

    public Hookpoint hookpoint() {
        return hookpoint;
    }

    /** Width of each row {@link #tail} returns. */
    public int outputWidth() {
        return outputWidth;
    }

    /** Runs the first half: the hookpoint's activations of this batch. */
    public Head head(TokenBatch batch) {
        int d = hookpoint.dIn();
        try (OnnxTransformer.Inputs in = new OnnxTransformer.Inputs(env, batch, head.getInputNames());
             OrtSession.Result result = head.run(in.map, Set.of(hookpoint.tensor()))) {
            OnnxTensor t = (OnnxTensor) result.get(hookpoint.tensor()).orElseThrow();
            FloatBuffer values = t.getFloatBuffer();
            float[] padded = new float[values.remaining()];
            if (padded.length != batch.sequences() * batch.paddedLength() * d) {
                throw new IllegalStateException("hook tensor " + hookpoint.tensor() + " has " + padded.length
                        + " values, expected " + batch.sequences() + "x" + batch.paddedLength() + "x" + d);
            }
            float[] rows = realRows(batch, values, d);
            values.rewind();
            values.get(padded);
            return new Head(batch, padded, rows);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime head forward failed: " + e.getMessage(), e);
        }
    }

    /**
     * Runs the second half from {@code rows} (the real tokens' activations at the hookpoint, [tokens, d], e.g.
     * {@link Head#rows()} edited) and returns the model output's real-token rows, [tokens, {@link #outputWidth()}].
     */
    public float[] tail(Head from, float[] rows) {
        TokenBatch batch = from.batch;
        int d = hookpoint.dIn();
        if (rows.length != batch.tokens() * d) {
            throw new IllegalArgumentException("rows must hold tokens*d = " + batch.tokens() + "*" + d + " floats (got " + rows.length + ")");
        }
        if (tail == null) {
            return rows.clone();
        }
        float[] padded = from.padded.clone();
        int t = batch.paddedLength();
        int r = 0;
        for (int b = 0; b < batch.sequences(); b++) {
            System.arraycopy(rows, r * d, padded, b * t * d, batch.lengths()[b] * d);
            r += batch.lengths()[b];
        }
        Map<String, OnnxTensor> feed = new HashMap<>();
        try (OnnxTransformer.Inputs in = new OnnxTransformer.Inputs(env, batch, tail.getInputNames());
             OnnxTensor hook = OnnxTensor.createTensor(env, FloatBuffer.wrap(padded), new long[] {batch.sequences(), t, d})) {
            feed.putAll(in.map);
            feed.put(hookpoint.tensor(), hook);
            try (OrtSession.Result result = tail.run(feed, Set.of(outputTensor))) {
                OnnxTensor out = (OnnxTensor) result.get(outputTensor).orElseThrow();
                FloatBuffer values = out.getFloatBuffer();
                return realRows(batch, values, values.remaining() / (batch.sequences() * t));
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime tail forward failed: " + e.getMessage(), e);
        }
    }

    /** The real tokens' rows of a padded [batch, seq, width] tensor (real tokens of sequence b are positions [0, lengths[b])). */
    static float[] realRows(TokenBatch batch, FloatBuffer padded, int width) {
        float[] dst = new float[batch.tokens() * width];
        int t = batch.paddedLength();
        int row = 0;
        for (int b = 0; b < batch.sequences(); b++) {
            padded.position(b * t * width);
            padded.get(dst, row * width, batch.lengths()[b] * width);
            row += batch.lengths()[b];
        }
        return dst;
    }

    private static void closeQuietly(OrtSession s) {
        if (s != null) {
            try {
                s.close();
            } catch (OrtException e) {
                log.warn("closing ONNX session failed: {}", e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        closeQuietly(head);
        closeQuietly(tail);
    }
}
