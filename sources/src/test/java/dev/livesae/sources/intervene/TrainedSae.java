package dev.livesae.sources.intervene;

import dev.livesae.engine.Sae;
import dev.livesae.engine.SaeConfig;
import dev.livesae.engine.SaeTrainer;
import dev.livesae.sources.EuroparlCorpus;
import dev.livesae.sources.TextLines;
import dev.livesae.sources.model.MiniLmModel;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small TopK SAE (d_sae 768, k 16) trained through the engine on real MiniLM activations at
 * blocks.3.hook_resid_post of Europarl text after the first 400 texts (which {@code sae eval} holds out by
 * default), once per test JVM.
 */
final class TrainedSae {
    static final String HOOK = MiniLmModel.residPost(3);
    static final int TRAIN_TEXTS = 320;
    private static final Logger LOG = LoggerFactory.getLogger(TrainedSae.class);
    private static Sae sae;

    private TrainedSae() {
    }

    static synchronized Sae get(MiniLmModel model) {
        if (sae == null) {
            sae = train(model);
        }
        return sae;
    }

    private static Sae train(MiniLmModel model) {
        float[] x;
        try (TextLines corpus = EuroparlCorpus.lines()) {
            corpus.next(400);
            List<String> texts = corpus.next(TRAIN_TEXTS);
            x = model.forward(texts, Set.of(HOOK)).block(HOOK).values();
        }
        int d = 384;
        int rows = x.length / d;
        SaeConfig cfg = new SaeConfig(d, 768, 16, 192, 1_000_000, SaeConfig.DEFAULT_AUXK_COEFF, 2e-3f, 10, 0f, 0, 0, true, 7L);
        int batch = 256;
        try (SaeTrainer trainer = SaeTrainer.create(cfg, x, rows)) {
            double fvu = Double.NaN;
            for (int epoch = 0; epoch < 6; epoch++) {
                for (int from = 0; from + batch <= rows; from += batch) {
                    float[] b = java.util.Arrays.copyOfRange(x, from * d, (from + batch) * d);
                    fvu = trainer.step(b, batch).fvu();
                }
            }
            LOG.info("trained test SAE on {} tokens x 6 epochs, last fvu {}", rows, fvu);
            return trainer.snapshot();
        }
    }
}
