package dev.livesae.engine;

/**
 * Everything a trainer must remember, in the trainer's internal (scaled) units: parameters, Adam moments,
 * per-latent firing clocks and counters. Mutable; owned by one {@link SaeTrainer}.
 */
final class SaeState {
  final int n;
  final int d;
  final float[] wEnc;
  final float[] bEnc;
  final float[] wDec;
  final float[] bPre;
  final float[] mWEnc;
  final float[] vWEnc;
  final float[] mBEnc;
  final float[] vBEnc;
  final float[] mWDec;
  final float[] vWDec;
  final float[] mBPre;
  final float[] vBPre;
  /** Tokens since each latent last fired (value &gt; 0 in its top-k). */
  final long[] tokensSinceFired;
  long step;
  long tokensSeen;
  /** x_internal = inputScale * x_original. */
  float inputScale;
  long resampledLatents;
  int resampleTimes;
  long nextResampleAt;

  SaeState(int n, int d) {
    this.n = n;
    this.d = d;
    wEnc = new float[n * d];
    bEnc = new float[n];
    wDec = new float[n * d];
    bPre = new float[d];
    mWEnc = new float[n * d];
    vWEnc = new float[n * d];
    mBEnc = new float[n];
    vBEnc = new float[n];
    mWDec = new float[n * d];
    vWDec = new float[n * d];
    mBPre = new float[d];
    vBPre = new float[d];
    tokensSinceFired = new long[n];
  }
}
