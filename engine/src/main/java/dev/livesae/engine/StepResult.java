package dev.livesae.engine;

/**
 * Outcome of one trainer step.
 *
 * @param step          optimizer steps taken so far (after this one)
 * @param tokensSeen    tokens trained on so far
 * @param fvu           squared error / total variance of the batch
 * @param auxKLoss      unweighted AuxK loss (0 when no latent is dead or AuxK is off)
 * @param l0            mean number of firing (value &gt; 0) latents per token
 * @param deadFraction  fraction of latents that have not fired within the dead threshold
 * @param denseFraction fraction of latents firing on more than 10% of this batch's tokens
 * @param resampled     latents resampled in this step
 * @param skipped       loss or gradient not finite: weights and counters untouched
 * @param gradNorm      global gradient norm before clipping
 * @param times         time per phase
 */
public record StepResult(long step, long tokensSeen, double fvu, double auxKLoss, double l0, double deadFraction,
                         double denseFraction, int resampled, boolean skipped, double gradNorm, PhaseTimes times) {
}
