package dev.livesae.engine;

/**
 * Hyper-parameters of a TopK sparse autoencoder and its trainer. Immutable; validated on construction.
 *
 * @param dIn                 width of the input activations (d)
 * @param dSae                number of latents (n)
 * @param k                   latents kept per token
 * @param kAux                dead latents used by the AuxK loss per token (Gao et al.: d/2)
 * @param deadTokensThreshold a latent is dead if it has not fired in this many tokens
 * @param auxKCoeff           weight of the AuxK loss (1/32)
 * @param lr                  Adam learning rate; {@code <= 0} means the default 2e-4 / sqrt(n / 2^14)
 * @param warmupSteps         linear learning-rate warm-up steps (0 = none)
 * @param clipGradNorm        global gradient-norm clip; {@code <= 0} turns clipping off
 * @param resampleEveryTokens resample dead latents every this many tokens (0 = never)
 * @param resampleMaxTimes    resample at most this many times
 * @param auxK                whether the AuxK loss is on
 * @param seed                seed of the initial dictionary and of the resampling RNG
 */
public record SaeConfig(int dIn, int dSae, int k, int kAux, long deadTokensThreshold, float auxKCoeff,
                        float lr, long warmupSteps, float clipGradNorm,
                        long resampleEveryTokens, int resampleMaxTimes, boolean auxK, long seed) {

  public static final long DEFAULT_DEAD_TOKENS = 10_000_000L;
  public static final float DEFAULT_AUXK_COEFF = 1f / 32f;

  public SaeConfig {
    require(dIn >= 1, "dIn", dIn, ">= 1");
    require(dSae >= 1, "dSae", dSae, ">= 1");
    require(k >= 1 && k <= dSae, "k", k, "in [1, dSae=" + dSae + "]");
    require(kAux >= 1 && kAux <= dSae, "kAux", kAux, "in [1, dSae=" + dSae + "]");
    require(deadTokensThreshold >= 1, "deadTokensThreshold", deadTokensThreshold, ">= 1");
    require(Float.isFinite(auxKCoeff) && auxKCoeff >= 0, "auxKCoeff", auxKCoeff, "finite and >= 0");
    require(Float.isFinite(lr) && lr < 1, "lr", lr, "finite and < 1 (<= 0 means default)");
    require(warmupSteps >= 0, "warmupSteps", warmupSteps, ">= 0");
    require(Float.isFinite(clipGradNorm), "clipGradNorm", clipGradNorm, "finite (<= 0 means off)");
    require(resampleEveryTokens >= 0, "resampleEveryTokens", resampleEveryTokens, ">= 0 (0 means off)");
    require(resampleMaxTimes >= 0, "resampleMaxTimes", resampleMaxTimes, ">= 0");
    require((long) dIn * dSae <= Integer.MAX_VALUE, "dIn*dSae", (long) dIn * dSae, "<= " + Integer.MAX_VALUE);
  }

  private static void require(boolean ok, String field, Object value, String rule) {
    if (!ok) {
      throw new IllegalArgumentException("SaeConfig." + field + " must be " + rule + " (got " + value + ")");
    }
  }

  /** Gao et al. defaults: kAux = d/2, dead after 10M tokens, AuxK weight 1/32, default lr, 1000 warm-up steps. */
  public static SaeConfig defaults(int dIn, int dSae, int k) {
    return new SaeConfig(dIn, dSae, k, Math.max(1, Math.min(dSae, dIn / 2)), DEFAULT_DEAD_TOKENS, DEFAULT_AUXK_COEFF,
        0f, 1000, 0f, 0, 0, true, 0L);
  }

  /** The learning rate actually used: {@link #lr()} or, if {@code <= 0}, 2e-4 / sqrt(n / 2^14). */
  public float effectiveLr() {
    return lr > 0 ? lr : (float) (2e-4 / Math.sqrt(dSae / 16384.0));
  }

  public SaeConfig withSeed(long newSeed) {
    return new SaeConfig(dIn, dSae, k, kAux, deadTokensThreshold, auxKCoeff, lr, warmupSteps, clipGradNorm,
        resampleEveryTokens, resampleMaxTimes, auxK, newSeed);
  }
}
