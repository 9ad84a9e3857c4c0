package dev.livesae.engine;

/** Wall-clock milliseconds spent in each phase of one training step. */
public record PhaseTimes(double encodeMs, double topkMs, double decodeMs, double backwardMs, double optimizerMs) {
  public static final PhaseTimes ZERO = new PhaseTimes(0, 0, 0, 0, 0);

  public double totalMs() {
    return encodeMs + topkMs + decodeMs + backwardMs + optimizerMs;
  }

  public PhaseTimes plus(PhaseTimes o) {
    return new PhaseTimes(encodeMs + o.encodeMs, topkMs + o.topkMs, decodeMs + o.decodeMs,
        backwardMs + o.backwardMs, optimizerMs + o.optimizerMs);
  }
}
