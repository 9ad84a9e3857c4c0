package dev.livesae.engine.synthetic;

import java.util.Arrays;
import dev.livesae.engine.Seeds;
import java.util.SplittableRandom;

/**
 * Synthetic activations with known features in superposition (labelled as synthetic wherever used):
 * m random unit feature directions in d dimensions (m may exceed d), feature j fires independently with
 * probability p_j = baseRate * (j+1)^-alpha / mean((j+1)^-alpha) (a power law with mean rate baseRate,
 * capped at 1), with magnitude 1 + 0.25 N(0, 1) floored at 0.1; each token is
 * {@code bias + sum_j a_j f_j + noise * N(0, I)}. Seeded: the same seed gives the same features and batches. The
 * features and bias come from the stream {@code Seeds.derive(seed, "synthetic.features")}, the per-token draws from
 * {@code Seeds.derive(seed, "synthetic.samples")}, so no trainer stream can coincide with them.
 */
public final class SyntheticFeatures {
  private final int d;
  private final int m;
  private final float[] features;
  private final double[] probs;
  private final float[] bias;
  private final float noise;
  /** Per-token draws; the features come from their own stream (see {@link Seeds}). */
  private final SplittableRandom rng;

  /**
   * @param d        dimension of the activations
   * @param m        number of true features
   * @param alpha    power-law exponent of the firing probabilities (0 = uniform)
   * @param baseRate mean firing probability per feature
   * @param noise    standard deviation of isotropic Gaussian noise per coordinate
   * @param seed     seed of features and samples
   */
  public SyntheticFeatures(int d, int m, double alpha, double baseRate, float noise, long seed) {
    if (d < 1) {
      throw new IllegalArgumentException("d must be >= 1 (got " + d + ")");
    }
    if (m < 1) {
      throw new IllegalArgumentException("m must be >= 1 (got " + m + ")");
    }
    if (!(alpha >= 0) || !Double.isFinite(alpha)) {
      throw new IllegalArgumentException("alpha must be finite and >= 0 (got " + alpha + ")");
    }
    if (!(baseRate > 0 && baseRate <= 1)) {
      throw new IllegalArgumentException("baseRate must be in (0, 1] (got " + baseRate + ")");
    }
    if (!(noise >= 0) || !Float.isFinite(noise)) {
      throw new IllegalArgumentException("noise must be finite and >= 0 (got " + noise + ")");
    }
    this.d = d;
    this.m = m;
    this.noise = noise;
    SplittableRandom featureRng = new SplittableRandom(Seeds.derive(seed, Seeds.SYNTHETIC_FEATURES));
    this.rng = new SplittableRandom(Seeds.derive(seed, Seeds.SYNTHETIC_SAMPLES));
    this.features = new float[m * d];
    for (int j = 0; j < m; j++) {
      double s = 0;
      for (int q = 0; q < d; q++) {
        double g = gaussian(featureRng);
        features[j * d + q] = (float) g;
        s += g * g;
      }
      float inv = (float) (1 / Math.sqrt(s));
      for (int q = 0; q < d; q++) {
        features[j * d + q] *= inv;
      }
    }
    this.probs = new double[m];
    double mean = 0;
    for (int j = 0; j < m; j++) {
      probs[j] = Math.pow(j + 1, -alpha);
      mean += probs[j] / m;
    }
    for (int j = 0; j < m; j++) {
      probs[j] = Math.min(1.0, baseRate * probs[j] / mean);
    }
    this.bias = new float[d];
    for (int q = 0; q < d; q++) {
      bias[q] = (float) (0.5 * gaussian(featureRng));
    }
  }

  private static double gaussian(SplittableRandom rng) {
    double u1 = 1.0 - rng.nextDouble();
    double u2 = rng.nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  public int d() {
    return d;
  }

  public int m() {
    return m;
  }

  /**
   * Recovery of the true features by a dictionary: the mean, over true features, of the best cosine with
   * any decoder row (MMCS; 1.0 = every feature has an exact decoder direction).
   */
  public double meanBestCosine(dev.livesae.engine.Sae sae) {
    double sum = 0;
    for (double c : bestCosines(sae)) {
      sum += c;
    }
    return sum / m;
  }

  /** The fraction of true features whose best cosine with a decoder row is above {@code threshold}. */
  public double recoveredFraction(dev.livesae.engine.Sae sae, double threshold) {
    int hit = 0;
    for (double c : bestCosines(sae)) {
      if (c > threshold) {
        hit++;
      }
    }
    return (double) hit / m;
  }

  /** Per true feature j, the largest cosine between f_j and any decoder row of {@code sae}. */
  public double[] bestCosines(dev.livesae.engine.Sae sae) {
    int n = sae.dSae();
    float[][] rows = new float[n][];
    double[] norms = new double[n];
    for (int i = 0; i < n; i++) {
      rows[i] = sae.decoderRow(i);
      double nw = 0;
      for (float v : rows[i]) {
        nw += v * v;
      }
      norms[i] = Math.sqrt(nw);
    }
    double[] best = new double[m];
    for (int j = 0; j < m; j++) {
      int o = j * d;
      double b = -1;
      for (int i = 0; i < n; i++) {
        float[] w = rows[i];
        double dot = 0;
        for (int q = 0; q < d; q++) {
          dot += features[o + q] * w[q];
        }
        b = Math.max(b, dot / norms[i]);
      }
      best[j] = b;
    }
    return best;
  }

  /** Copy of feature j's unit direction. */
  public float[] feature(int j) {
    return Arrays.copyOfRange(features, j * d, (j + 1) * d);
  }

  public double firingProbability(int j) {
    return probs[j];
  }

  /** Expected number of active features per token. */
  public double expectedL0() {
    double s = 0;
    for (double p : probs) {
      s += p;
    }
    return s;
  }

  /** Next batch (rows, d) row-major. */
  public float[] next(int rows) {
    float[] x = new float[rows * d];
    for (int r = 0; r < rows; r++) {
      int o = r * d;
      System.arraycopy(bias, 0, x, o, d);
      for (int j = 0; j < m; j++) {
        if (rng.nextDouble() < probs[j]) {
          float a = (float) Math.max(0.1, 1.0 + 0.25 * gaussian(rng));
          for (int q = 0; q < d; q++) {
            x[o + q] += a * features[j * d + q];
          }
        }
      }
      if (noise > 0) {
        for (int q = 0; q < d; q++) {
          x[o + q] += (float) (noise * gaussian(rng));
        }
      }
    }
    return x;
  }
}
