package dev.livesae.sources.model;

import java.util.Objects;

/** Activations of one hookpoint for the real tokens of a forward pass: row-major [rows, hookpoint.dIn()]. */
public record ActivationBlock(Hookpoint hookpoint, float[] values) {
    public ActivationBlock {
        Objects.requireNonNull(hookpoint, "hookpoint");
        Objects.requireNonNull(values, "values");
        if (values.length % hookpoint.dIn() != 0) {
            throw new IllegalArgumentException("ActivationBlock " + hookpoint.name() + ": values length " + values.length
                    + " is not a multiple of dIn " + hookpoint.dIn());
        }
    }

    public int rows() {
        return values.length / hookpoint.dIn();
    }

    public int dIn() {
        return hookpoint.dIn();
    }

    /** Copies row r into a new array. */
    public float[] row(int r) {
        float[] dst = new float[dIn()];
        System.arraycopy(values, r * dIn(), dst, 0, dIn());
        return dst;
    }
}
