package dev.livesae.engine;

import java.nio.charset.StandardCharsets;

/**
 * One seed, many independent random streams: every generator derives its own starting state from the user's
 * seed and a purpose tag, so no two generators ever share a stream (with one shared SplitMix64 stream, the
 * synthetic source and the trainer's initialisation with the same seed drew the same Gaussians, and the
 * SAE started at the true dictionary).
 *
 * <p>{@code derive(seed, purpose) = mix64(seed ^ mix64(fnv1a64(utf8(purpose))))}, where mix64 is the
 * SplitMix64 finaliser and fnv1a64 the 64-bit FNV-1a hash. Purposes in use: {@value #TRAINER_INIT},
 * {@value #TRAINER_RESAMPLE}, {@value #TRAINER_SHUFFLE}, {@value #SYNTHETIC_FEATURES},
 * {@value #SYNTHETIC_SAMPLES}.
 */
public final class Seeds {
  /** The initial dictionary of a new SAE. */
  public static final String TRAINER_INIT = "trainer.init";
  /** The resampler: reservoir admission and the choice of inputs for dead latents. */
  public static final String TRAINER_RESAMPLE = "trainer.resample";
  /** The trainer's shuffle buffer. */
  public static final String TRAINER_SHUFFLE = "trainer.shuffle";
  /** The true feature directions (and bias) of synthetic data. */
  public static final String SYNTHETIC_FEATURES = "synthetic.features";
  /** The per-token draws of synthetic data (which features fire, magnitudes, noise). */
  public static final String SYNTHETIC_SAMPLES = "synthetic.samples";

  private Seeds() {
  }

  /** The starting state of the stream for {@code purpose} under the user's {@code seed}. */
  public static long derive(long seed, String purpose) {
    if (purpose == null || purpose.isEmpty()) {
      throw new IllegalArgumentException("purpose must be a non-empty tag (got '" + purpose + "')");
    }
    long h = 0xcbf29ce484222325L;
    for (byte b : purpose.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return mix64(seed ^ mix64(h));
  }

  /** The SplitMix64 finaliser (a bijection on 64 bits). */
  static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
