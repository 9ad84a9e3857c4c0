package dev.livesae.trainer;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import dev.livesae.engine.Sae;
import dev.livesae.engine.SaeTrainer;
import dev.livesae.engine.StepResult;
import dev.livesae.engine.eval.CoreMetrics;

/**
 * At each promotion: SAEBench's core metrics of the new dictionary on held-out rows, and the metadata its
 * export carries. The held-out rows are up to {@code --eval-rows} rows the trainer has consumed but not trained
 * yet ({@link TrainingLoop#untrainedRows}: the shuffle buffer, then the partial minibatch), so no training step
 * of the evaluated dictionary has seen them (progressive validation; they are trained later, after the
 * evaluation). They are part of the checkpoint, so a resumed trainer evaluates the same rows. The two
 * max-cosine metrics are averaged over {@code --eval-cosine-latents} evenly spaced latents.
 */
final class DictionaryEvaluation {
    /** The result and what it cost. */
    record Evaluation(CoreMetrics.Result result, double seconds) {
        String line() {
            CoreMetrics.Result r = result;
            return String.format(Locale.ROOT, "core metrics on %d held-out rows in %.1f s: explained variance %.4f, "
                    + "mse %.4g, cossim %.4f, l2 ratio %.3f, rel. bias %.3f, L0 %.1f, alive %.1f%%, >1%% %.1f%%, "
                    + ">10%% %.1f%%, max cos enc %.3f dec %.3f", r.rows(), seconds, r.explainedVariance(), r.mse(),
                    r.cossim(), r.l2Ratio(), r.relativeReconstructionBias(), r.l0(), 100 * r.fracAlive(),
                    100 * r.freqOver1Percent(), 100 * r.freqOver10Percent(), r.averageMaxEncoderCosineSim(),
                    r.averageMaxDecoderCosineSim());
        }
    }

    private final int rows;
    private final int cosineLatents;
    private float[] buffer = new float[0];

    DictionaryEvaluation(int rows, int cosineLatents) {
        this.rows = rows;
        this.cosineLatents = cosineLatents;
    }

    /** The metrics of {@code sae} on the loop's untrained rows, or null when off or there are none. */
    Evaluation evaluate(Sae sae, TrainingLoop loop) {
        if (rows == 0) {
            return null;
        }
        int d = loop.dIn();
        if (buffer.length < rows * d) {
            buffer = new float[rows * d];
        }
        int n = loop.untrainedRows(buffer, rows);
        if (n == 0) {
            return null;
        }
        long t0 = System.nanoTime();
        CoreMetrics.Result r = sae.evaluate(buffer, n, cosineLatents);
        return new Evaluation(r, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * cfg.json metadata of a promoted dictionary: {@code l0} (held-out, else the last step's),
     * {@code num_dead_features} (the trainer's firing clocks), {@code training_architecture}, provenance
     * ({@code livesae_sae_id}, {@code livesae_dictionary_version}, {@code livesae_tokens_trained},
     * {@code livesae_topic}, {@code livesae_offsets}) and {@code core_metrics} (SAEBench names, NaN as null).
     */
    static Map<String, Object> metadata(Dictionary d, SaeTrainer trainer, StepResult last, Evaluation eval,
                                        String topic, Map<Integer, Long> offsets) {
        Map<String, Object> m = new LinkedHashMap<>();
        double l0 = eval != null ? eval.result().l0() : last != null ? last.l0() : Double.NaN;
        m.put("l0", finite(l0));
        m.put("num_dead_features", last == null ? 0 : Math.round(last.deadFraction() * trainer.config().dSae()));
        m.put("training_architecture", trainer.architecture().kind().cliName());
        m.put("livesae_sae_id", d.saeId());
        m.put("livesae_dictionary_version", d.version());
        m.put("livesae_tokens_trained", trainer.tokensSeen());
        m.put("livesae_topic", topic);
        m.put("livesae_offsets", new LinkedHashMap<>(offsets));
        if (trainer.architecture().batchSelection()) {
            SaeTrainer.SelectionStats s = trainer.selectionStats();
            m.put("livesae_batchtopk_threshold", finite(s.threshold()));
            m.put("livesae_code_slots", s.slots());
            m.put("livesae_saturated_rows", s.saturatedRows());
        }
        if (eval != null) {
            Map<String, Object> core = new LinkedHashMap<>();
            core.put("rows", eval.result().rows());
            eval.result().asMap().forEach((k, v) -> core.put(k, finite(v)));
            m.put("core_metrics", core);
        }
        return m;
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
