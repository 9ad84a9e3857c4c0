package dev.livesae.sources.model;

import java.util.Objects;

/**
 * A named place in a transformer whose activations can be captured: {@code name} follows
 * TransformerLens naming ({@code blocks.3.hook_resid_post}), {@code tensor} is the ONNX graph tensor
 * it maps to and {@code dIn} its width.
 */
public record Hookpoint(String name, String tensor, int dIn, String description) {
    public Hookpoint {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(tensor, "tensor");
        Objects.requireNonNull(description, "description");
        if (name.isBlank()) {
            throw new IllegalArgumentException("hookpoint name must not be blank");
        }
        if (dIn <= 0) {
            throw new IllegalArgumentException("hookpoint " + name + ": dIn must be > 0 (got " + dIn + ")");
        }
    }
}
