package dev.livesae.trainer;

import dev.livesae.wire.ActivationBatch;
import dev.livesae.wire.RejectReason;

/**
 * Whether a fresh trainer can build its SAE for the d_in of a batch. The first accepted batch fixes d_in and with
 * it the SAE's size (d_in x d_sae weights, d_sae = {@code --d-sae} or {@code --expansion} x d_in), so without this
 * check one record could ask for an SAE that cannot be allocated, or one with fewer latents than k; the trainer
 * would fail on it, restart from the same offset and fail again forever. Such a batch is dead-lettered instead, and
 * so is a first batch of all-zero activations (the SAE's initial scale comes from the first batch's norm).
 *
 * <p>The memory estimate is a lower bound: encoder and decoder weights, their gradients and Adam's two moments,
 * 32 x d_in x d_sae bytes, against the heap plus ND4J's off-heap limit (JavaCPP's default is the heap size again).
 */
final class FirstBatchCheck {
    /** Bytes per (input, latent) pair: float32 encoder and decoder weights x (weight, gradient, Adam m, Adam v). */
    static final long BYTES_PER_WEIGHT_PAIR = 4L * 2 * 4;

    /** Why a batch cannot start this trainer's SAE. */
    record Refusal(RejectReason reason, String detail) {}

    private FirstBatchCheck() {}

    /** Null if this batch can start an SAE within {@code memoryBytes}, else why not. */
    static Refusal refusal(TrainerOptions opts, ActivationBatch first, long memoryBytes) {
        Refusal r = refusal(opts, first.dIn(), memoryBytes);
        if (r != null) {
            return r;
        }
        for (float v : first.activations()) {
            if (v != 0f) {
                return null;
            }
        }
        return new Refusal(RejectReason.UNEXPECTED_SHAPE, "the first batch's activations are all zero (" + first.rows()
                + " rows); a new SAE takes its initial scale from the first batch's norm");
    }

    /** Null if an SAE for {@code dIn} can be built within {@code memoryBytes}, else why not. */
    static Refusal refusal(TrainerOptions opts, int dIn, long memoryBytes) {
        int dSae;
        try {
            dSae = opts.dSaeFor(dIn);
        } catch (IllegalArgumentException e) {
            return new Refusal(RejectReason.UNEXPECTED_SHAPE, "activation width d_in = " + dIn
                    + " gives this trainer no valid SAE: " + e.getMessage());
        }
        long need = BYTES_PER_WEIGHT_PAIR * dIn * dSae;
        if (need > memoryBytes) {
            return new Refusal(RejectReason.DIMENSION_TOO_LARGE, "activation width d_in = " + dIn + " would need an SAE of d_sae = "
                    + dSae + ", at least " + (need >> 20) + " MiB, more than this trainer's " + (memoryBytes >> 20)
                    + " MiB (heap plus off-heap)");
        }
        return null;
    }

    /** The memory a trainer in this JVM can give its SAE: the heap limit, and ND4J's off-heap limit which defaults to it. */
    static long memoryBytes() {
        long heap = Runtime.getRuntime().maxMemory();
        return heap == Long.MAX_VALUE ? Long.MAX_VALUE : 2 * heap;
    }
}
