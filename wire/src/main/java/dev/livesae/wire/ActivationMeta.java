package dev.livesae.wire;

/**
 * Who made an activation batch: the model, the hookpoint (TransformerLens-style, e.g.
 * {@code blocks.3.hook_resid_post}) and the activation width d.
 */
public record ActivationMeta(String model, String hookpoint, int dIn) {
    public ActivationMeta {
        Checks.text("model", model);
        Checks.text("hookpoint", hookpoint);
        if (dIn < 1) {
            throw new IllegalArgumentException("dIn must be >= 1 (got " + dIn + ")");
        }
    }
}
