package dev.livesae.engine;

/**
 * Switch between the fast kernels (ND4J gemm, partial top-k selection, sparse backward, threads) and the plain
 * Java references. System property {@code livesae.engine.reference=true} selects the references everywhere;
 * {@code livesae.engine.threads=false} keeps the fast kernels but runs them on the calling thread only.
 */
public final class Kernels {
  /** Default: fast path unless {@code -Dlivesae.engine.reference=true}. */
  public static final boolean FAST_DEFAULT = !Boolean.getBoolean("livesae.engine.reference");

  private Kernels() {
  }
}
