package dev.livesae.sources.intervene;

import dev.livesae.sources.model.MiniLmModel;
import dev.livesae.sources.model.SplitTransformer;

/**
 * Downstream fidelity of an SAE at a hookpoint, SAEBench's "loss recovered" with the sentence-embedding
 * similarity as the task metric: the model's output is computed from the original activations, from the
 * SAE's reconstruction x_hat spliced in, from zeros (zero ablation) and from the mean activation on every
 * token (mean ablation); each text's sentence embedding is compared by cosine with the original's, and
 * <pre>  fidelity_recovered = (spliced - zero_ablated) / (original - zero_ablated),  original = 1</pre>
 * (1: the reconstruction is as good as the real activations; 0: no better than deleting them).
 */
public final class Fidelity {

    private Fidelity() {
    }

    /** Mean cosine similarities over {@code texts} texts. */
    public record Similarities(long texts, double spliced, double zeroAblated, double meanAblated) {
        /** (spliced - zero) / (1 - zero); NaN when zero ablation leaves the output unchanged. */
        public double recovered() {
            return zeroAblated < 1 ? (spliced - zeroAblated) / (1 - zeroAblated) : Double.NaN;
        }
    }

    /** One batch measured: the activations, reconstruction and codes, and per-text cosines. */
    public record Batch(float[] x, float[] xhat, float[] z, int rows, double[] spliced, double[] zeroAblated,
                        double[] meanAblated) {
    }

    /** Running sums of per-text cosines. */
    public static final class Sums {
        private long texts;
        private double spliced;
        private double zero;
        private double mean;

        public void add(Batch b) {
            for (int i = 0; i < b.spliced().length; i++) {
                spliced += b.spliced()[i];
                zero += b.zeroAblated()[i];
                mean += b.meanAblated()[i];
            }
            texts += b.spliced().length;
        }

        public void add(Sums o) {
            texts += o.texts;
            spliced += o.spliced;
            zero += o.zero;
            mean += o.mean;
        }

        public long texts() {
            return texts;
        }

        public Similarities result() {
            if (texts == 0) {
                throw new IllegalStateException("no texts measured");
            }
            return new Similarities(texts, spliced / texts, zero / texts, mean / texts);
        }
    }

    /**
     * Runs the tail four times for one head: original, x_hat spliced in, zero-ablated, mean-ablated (every real
     * token's row replaced by {@code meanRow}).
     */
    public static Batch measure(SplitTransformer split, SplitTransformer.Head head, SaeDictionary sae, float[] meanRow) {
        int d = sae.dIn();
        if (meanRow.length != d) {
            throw new IllegalArgumentException("meanRow must hold dIn = " + d + " floats (got " + meanRow.length + ")");
        }
        int rows = head.tokens();
        int[] lengths = head.batch().lengths();
        float[] x = head.rows();
        float[] z = sae.encode(x, rows);
        float[] xhat = sae.decode(z, rows);
        float[] meanRows = new float[rows * d];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(meanRow, 0, meanRows, r * d, d);
        }
        int w = split.outputWidth();
        float[] original = MiniLmModel.sentenceEmbeddings(split.tail(head, x), lengths, w);
        return new Batch(x, xhat, z, rows,
                cosines(original, MiniLmModel.sentenceEmbeddings(split.tail(head, xhat), lengths, w), w),
                cosines(original, MiniLmModel.sentenceEmbeddings(split.tail(head, new float[rows * d]), lengths, w), w),
                cosines(original, MiniLmModel.sentenceEmbeddings(split.tail(head, meanRows), lengths, w), w));
    }

    /** Cosine of each row pair of a and b ([n, d]); 0 for a zero row. */
    public static double[] cosines(float[] a, float[] b, int d) {
        double[] out = new double[a.length / d];
        for (int i = 0; i < out.length; i++) {
            double ab = 0;
            double aa = 0;
            double bb = 0;
            for (int j = 0; j < d; j++) {
                double u = a[i * d + j];
                double v = b[i * d + j];
                ab += u * v;
                aa += u * u;
                bb += v * v;
            }
            out[i] = aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
        }
        return out;
    }
}
