package dev.livesae.sources.intervene;

import dev.livesae.sources.model.SplitTransformer;
import dev.livesae.sources.model.TokenBatch;
import java.util.List;
import java.util.Objects;

/**
 * Feature interventions for the inference process: given an SAE at a hookpoint, per request, edit chosen
 * latents ({@link FeatureEdit}: ablate, clamp, scale, steer) and continue the model from the edited
 * activations. The math keeps the SAE's error term: with z = encode(x) and z' the edited codes,
 * <pre>  x' = x_hat(z') + (x - x_hat(z)) = x + sum_j (z'_j - z_j) W_dec[j]</pre>
 * so b_dec and every untouched latent cancel and a request whose edits change no code leaves x exactly as it
 * was. Edits of one latent compose in the order given. Steering alone needs no encode (z'_j - z_j is the
 * coefficient); the other edits encode the request's tokens with the SAE's own activation function (TopK or
 * JumpReLU). Thread-safe.
 */
public final class FeatureIntervener {
    private final SaeDictionary sae;
    private final InterventionMetrics metrics;

    /** @param metrics where to count interventions, or null */
    public FeatureIntervener(SaeDictionary sae, InterventionMetrics metrics) {
        this.sae = Objects.requireNonNull(sae, "sae");
        this.metrics = metrics;
    }

    public SaeDictionary sae() {
        return sae;
    }

    /** x' for the rows x [rows, d_in] under the edits (x itself is not changed). */
    public float[] apply(float[] x, int rows, List<FeatureEdit> edits) {
        long t0 = System.nanoTime();
        int d = sae.dIn();
        if (x.length != (long) rows * d) {
            throw new IllegalArgumentException("x must hold rows*dIn = " + rows + "*" + d + " floats (got " + x.length + ")");
        }
        for (FeatureEdit e : edits) {
            sae.checkLatent(e.latent());
        }
        boolean steerOnly = edits.stream().allMatch(e -> e.kind() == FeatureEdit.Kind.STEER);
        float[] z = steerOnly ? null : sae.encode(x, rows);
        float[] out = x.clone();
        int n = sae.dSae();
        int[] latents = edits.stream().mapToInt(FeatureEdit::latent).distinct().toArray();
        for (int r = 0; r < rows; r++) {
            for (int j : latents) {
                float before = z == null ? 0f : z[r * n + j];
                float after = before;
                for (FeatureEdit e : edits) {
                    if (e.latent() == j) {
                        after = e.apply(after);
                    }
                }
                if (after != before) {
                    sae.addScaled(out, r * d, j, after - before);
                }
            }
        }
        if (metrics != null) {
            metrics.record(edits, System.nanoTime() - t0);
        }
        return out;
    }

    /**
     * One request through a split model with the edits at its hookpoint: head, {@link #apply}, tail. Returns the
     * model output's real-token rows (for MiniLM the last hidden state).
     */
    public float[] forward(SplitTransformer split, TokenBatch batch, List<FeatureEdit> edits) {
        if (split.hookpoint().dIn() != sae.dIn()) {
            throw new IllegalArgumentException("SAE d_in " + sae.dIn() + " does not match hookpoint " + split.hookpoint().name()
                    + " width " + split.hookpoint().dIn());
        }
        SplitTransformer.Head head = split.head(batch);
        return split.tail(head, apply(head.rows(), head.tokens(), edits));
    }
}
