package dev.livesae.sources.intervene;

import dev.livesae.engine.eval.CoreMetrics;
import dev.livesae.sources.model.MiniLmModel;
import dev.livesae.sources.model.SplitTransformer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code sae eval}'s measurement: an SAE at a MiniLM hookpoint over a list of texts. Two passes over the texts'
 * heads (the model up to the hookpoint, kept in memory): the first takes the mean activation (for mean
 * ablation), the second measures {@link CoreMetrics} on x and x_hat and the downstream {@link Fidelity}.
 */
public final class SaeEvaluation {

    /** Everything measured. */
    public record Result(String hookpoint, int texts, long tokens, CoreMetrics.Result core, Fidelity.Similarities fidelity) {
        /** One flat map in a stable order: the counts, SAEBench's core metric names, then the fidelity figures. */
        public Map<String, Object> asMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("hookpoint", hookpoint);
            m.put("texts", texts);
            m.put("tokens", tokens);
            core.asMap().forEach((k, v) -> m.put(k, Double.isFinite(v) ? v : null));
            m.put("similarity_original", 1.0);
            m.put("similarity_spliced", fidelity.spliced());
            m.put("similarity_zero_ablated", fidelity.zeroAblated());
            m.put("similarity_mean_ablated", fidelity.meanAblated());
            double rec = fidelity.recovered();
            m.put("fidelity_recovered", Double.isFinite(rec) ? rec : null);
            m.put("fidelity_recovered_mean_ablation", fidelity.meanAblated() < 1
                    ? (fidelity.spliced() - fidelity.meanAblated()) / (1 - fidelity.meanAblated()) : null);
            return m;
        }
    }

    private SaeEvaluation() {
    }

    /**
     * @param batchTexts texts per forward pass
     * @param progress   one line per pass (may be a no-op)
     */
    public static Result run(MiniLmModel model, SaeDictionary sae, String hookpoint, List<String> texts, int batchTexts,
                             Consumer<String> progress) {
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("no texts to evaluate on");
        }
        if (model.hookpoint(hookpoint).dIn() != sae.dIn()) {
            throw new IllegalArgumentException("SAE d_in " + sae.dIn() + " does not match hookpoint " + hookpoint
                    + " width " + model.hookpoint(hookpoint).dIn());
        }
        int d = sae.dIn();
        try (SplitTransformer split = model.split(hookpoint)) {
            List<SplitTransformer.Head> heads = new ArrayList<>();
            double[] sum = new double[d];
            long tokens = 0;
            for (int from = 0; from < texts.size(); from += batchTexts) {
                SplitTransformer.Head h = split.head(model.tokenizer().encode(texts.subList(from, Math.min(texts.size(), from + batchTexts))));
                float[] x = h.rows();
                for (int i = 0; i < x.length; i++) {
                    sum[i % d] += x[i];
                }
                tokens += h.tokens();
                heads.add(h);
            }
            float[] mean = new float[d];
            for (int j = 0; j < d; j++) {
                mean[j] = (float) (sum[j] / tokens);
            }
            progress.accept(String.format(java.util.Locale.ROOT, "eval: %d texts, %d tokens up to %s; splicing", texts.size(), tokens, hookpoint));
            CoreMetrics core = new CoreMetrics(d, sae.dSae());
            Fidelity.Sums sums = new Fidelity.Sums();
            int done = 0;
            for (SplitTransformer.Head h : heads) {
                Fidelity.Batch b = Fidelity.measure(split, h, sae, mean);
                addCodes(core, b, sae.dSae());
                sums.add(b);
                done += h.batch().sequences();
                progress.accept(String.format(java.util.Locale.ROOT, "eval: %d/%d texts, fidelity_recovered so far %.4f",
                        done, texts.size(), sums.result().recovered()));
            }
            return new Result(hookpoint, texts.size(), tokens,
                    core.result(sae.encoderRowsByLatent(), sae.decoderRows()), sums.result());
        }
    }

    /** Dense codes to CoreMetrics' slots: each row's firing latents, padded with value 0 to the batch's widest row. */
    static void addCodes(CoreMetrics core, Fidelity.Batch b, int n) {
        int slots = 1;
        for (int r = 0; r < b.rows(); r++) {
            int c = 0;
            for (int i = 0; i < n; i++) {
                if (b.z()[r * n + i] > 0) {
                    c++;
                }
            }
            slots = Math.max(slots, c);
        }
        int[] idx = new int[b.rows() * slots];
        float[] val = new float[b.rows() * slots];
        for (int r = 0; r < b.rows(); r++) {
            int s = r * slots;
            for (int i = 0; i < n; i++) {
                float v = b.z()[r * n + i];
                if (v > 0) {
                    idx[s] = i;
                    val[s++] = v;
                }
            }
        }
        core.add(b.x(), b.xhat(), b.rows(), idx, val, slots);
    }
}
