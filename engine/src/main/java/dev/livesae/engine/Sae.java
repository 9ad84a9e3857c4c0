package dev.livesae.engine;

import dev.livesae.engine.eval.CoreMetrics;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An immutable SAE dictionary in original activation units: W_enc (n, d) (one row per latent; SAELens
 * stores its transpose), b_enc (n), W_dec (n, d) with unit rows, b_dec (d), and for JumpReLU a threshold (n).
 * With pre = W_enc (x - b_dec) + b_enc, {@code encode} gives
 * <ul>
 *   <li>TopK: z = TopK(ReLU(pre)), k latents per row;</li>
 *   <li>JumpReLU (what BatchTopK and Matryoshka BatchTopK export): z_i = ReLU(pre_i) if pre_i &gt; threshold_i,
 *       else 0, keeping at most {@link #k()} latents per row (the largest; the code slots of the codes
 *       topic). A row with more latents above threshold loses its smallest ones.</li>
 * </ul>
 * {@code decode}: x_hat = b_dec + sum_j z_j W_dec[i_j]. Thread-safe: encoders (native buffers) are pooled per
 * concurrent caller.
 */
public final class Sae {
  private final int dIn;
  private final int dSae;
  private final int k;
  private final float[] wEnc;
  private final float[] bEnc;
  private final float[] wDec;
  private final float[] bDec;
  private final float[] threshold;
  private final boolean fast;
  private final ConcurrentLinkedQueue<TopKEncoder> pool = new ConcurrentLinkedQueue<>();
  private volatile INDArray wEncNative;

  /** Takes ownership of the arrays (callers pass copies). */
  Sae(int dIn, int dSae, int k, float[] wEnc, float[] bEnc, float[] wDec, float[] bDec, boolean fast) {
    this(dIn, dSae, k, wEnc, bEnc, wDec, bDec, null, fast);
  }

  /** A JumpReLU SAE when {@code threshold} (n) is not null; k is then the code slots per row. */
  Sae(int dIn, int dSae, int k, float[] wEnc, float[] bEnc, float[] wDec, float[] bDec, float[] threshold,
      boolean fast) {
    if (dIn < 1 || dSae < 1 || k < 1 || k > dSae) {
      throw new IllegalArgumentException("bad SAE shape dIn=" + dIn + " dSae=" + dSae + " k=" + k);
    }
    checkLen("W_enc", wEnc.length, (long) dSae * dIn);
    checkLen("b_enc", bEnc.length, dSae);
    checkLen("W_dec", wDec.length, (long) dSae * dIn);
    checkLen("b_dec", bDec.length, dIn);
    if (threshold != null) {
      checkLen("threshold", threshold.length, dSae);
    }
    this.threshold = threshold;
    this.dIn = dIn;
    this.dSae = dSae;
    this.k = k;
    this.wEnc = wEnc;
    this.bEnc = bEnc;
    this.wDec = wDec;
    this.bDec = bDec;
    this.fast = fast;
  }

  private static void checkLen(String field, int got, long want) {
    if (got != want) {
      throw new IllegalArgumentException(field + " length must be " + want + " (got " + got + ")");
    }
  }

  public int dIn() {
    return dIn;
  }

  public int dSae() {
    return dSae;
  }

  /** Code slots per row: k for TopK, the most latents a row keeps for JumpReLU. */
  public int k() {
    return k;
  }

  /** {@code "topk"} or {@code "jumprelu"} (SAELens' architecture names). */
  public String architecture() {
    return threshold == null ? "topk" : "jumprelu";
  }

  /** A copy of the JumpReLU threshold (n), or null for TopK. */
  public float[] threshold() {
    return threshold == null ? null : threshold.clone();
  }

  /** Encodes rows (rows, dIn) row-major, original units. */
  public TopKCodes encode(float[] x, int rows) {
    if (x == null || rows < 0 || (long) rows * dIn != x.length) {
      throw new IllegalArgumentException("x length must be rows*dIn = " + rows + "*" + dIn + " (got "
          + (x == null ? "null" : x.length) + ")");
    }
    int[] idx = new int[rows * k];
    float[] val = new float[rows * k];
    float[] xc = new float[rows * dIn];
    float[] cn = new float[rows];
    for (int r = 0; r < rows; r++) {
      double s = 0;
      for (int q = 0; q < dIn; q++) {
        float t = x[r * dIn + q] - bDec[q];
        xc[r * dIn + q] = t;
        s += (double) t * t;
      }
      cn[r] = (float) s;
    }
    if (rows > 0) {
      if (fast) {
        TopKEncoder enc = pool.poll();
        if (enc == null) {
          enc = new TopKEncoder(dIn, dSae);
        }
        try {
          enc.encode(xc, rows, nativeWeights(), bEnc, k, idx, val, null, 0, 0, null, null, new long[2]);
        } finally {
          pool.offer(enc);
        }
      } else {
        TopKEncoder.reference(xc, rows, wEnc, bEnc, dIn, dSae, k, idx, val, null, 0, 0, null, null);
      }
      if (threshold != null) {
        applyThreshold(rows, idx, val);
      }
    }
    float[] xhat = new float[rows * dIn];
    SparseDecoder.decode(rows, dIn, k, idx, val, wDec, bDec, xhat);
    float[] err = new float[rows];
    for (int r = 0; r < rows; r++) {
      double s = 0;
      for (int q = 0; q < dIn; q++) {
        double t = x[r * dIn + q] - xhat[r * dIn + q];
        s += t * t;
      }
      err[r] = (float) s;
    }
    return new TopKCodes(rows, k, idx, val, err, cn);
  }

  /**
   * JumpReLU on the row's candidates (sorted by value descending): keeps those with value &gt; threshold of
   * their latent, in order, and moves the dropped ones to the end with value 0.
   */
  private void applyThreshold(int rows, int[] idx, float[] val) {
    for (int r = 0; r < rows; r++) {
      int o = r * k;
      int w = o;
      for (int j = o; j < o + k; j++) {
        if (val[j] > threshold[idx[j]]) {
          int i = idx[j];
          float v = val[j];
          idx[j] = idx[w];
          val[j] = 0f;
          idx[w] = i;
          val[w++] = v;
        } else {
          val[j] = 0f;
        }
      }
    }
  }

  private INDArray nativeWeights() {
    INDArray w = wEncNative;
    if (w == null) {
      synchronized (this) {
        w = wEncNative;
        if (w == null) {
          w = TopKEncoder.upload(wEnc, dSae, dIn);
          wEncNative = w;
        }
      }
    }
    return w;
  }

  /**
   * SAEBench's core metrics of this dictionary on {@code rows} held-out rows of {@code x} (original units),
   * encoded in chunks of 1024 rows; the two max-cosine metrics over {@code cosineLatents} latents (see
   * {@link CoreMetrics#result(float[], float[], int)}).
   */
  public CoreMetrics.Result evaluate(float[] x, int rows, int cosineLatents) {
    if (x == null || rows < 1 || x.length < (long) rows * dIn) {
      throw new IllegalArgumentException("x must hold rows*dIn = " + rows + "*" + dIn + " floats (rows >= 1)");
    }
    CoreMetrics m = new CoreMetrics(dIn, dSae);
    for (int from = 0; from < rows; from += 1024) {
      int n = Math.min(1024, rows - from);
      float[] part = java.util.Arrays.copyOfRange(x, from * dIn, (from + n) * dIn);
      TopKCodes c = encode(part, n);
      m.add(part, decode(c), n, c.indices(), c.values(), k);
    }
    return m.result(wEnc, wDec, cosineLatents);
  }

  /** x_hat (rows, dIn) in original units. */
  public float[] decode(TopKCodes codes) {
    if (codes.k() != k) {
      throw new IllegalArgumentException("codes.k must be " + k + " (got " + codes.k() + ")");
    }
    for (int i : codes.indices()) {
      if (i < 0 || i >= dSae) {
        throw new IllegalArgumentException("codes.indices must be in [0, " + dSae + ") (got " + i + ")");
      }
    }
    float[] out = new float[codes.rows() * dIn];
    SparseDecoder.decode(codes.rows(), dIn, k, codes.indices(), codes.values(), wDec, bDec, out);
    return out;
  }

  public float[] decoderRow(int latent) {
    if (latent < 0 || latent >= dSae) {
      throw new IllegalArgumentException("latent must be in [0, " + dSae + ") (got " + latent + ")");
    }
    return java.util.Arrays.copyOfRange(wDec, latent * dIn, (latent + 1) * dIn);
  }

  public float[] encoderRow(int latent) {
    if (latent < 0 || latent >= dSae) {
      throw new IllegalArgumentException("latent must be in [0, " + dSae + ") (got " + latent + ")");
    }
    return java.util.Arrays.copyOfRange(wEnc, latent * dIn, (latent + 1) * dIn);
  }

  public float[] encoderBias() {
    return bEnc.clone();
  }

  public float[] decoderBias() {
    return bDec.clone();
  }

  float[] wEncRaw() {
    return wEnc;
  }

  float[] wDecRaw() {
    return wDec;
  }

  float[] bEncRaw() {
    return bEnc;
  }

  float[] bDecRaw() {
    return bDec;
  }

  float[] thresholdRaw() {
    return threshold;
  }

  /** Loads ours / SAELens ({@code cfg.json + sae_weights.safetensors}) or sparsify ({@code cfg.json + sae.safetensors}). */
  public static Sae load(Path dir) throws IOException {
    return SaeFormats.load(dir, Kernels.FAST_DEFAULT);
  }

  /** Writes {@code cfg.json} and {@code sae_weights.safetensors} in SAELens layout, each atomically. */
  public void save(Path dir, String modelName, String hookName) throws IOException {
    save(dir, modelName, hookName, java.util.Map.of());
  }

  /**
   * As {@link #save(Path, String, String)}, adding {@code metadata} (e.g. l0, num_dead_features,
   * training_architecture, provenance, core metrics) to cfg.json's {@code metadata} object.
   */
  public void save(Path dir, String modelName, String hookName, java.util.Map<String, ?> metadata)
      throws IOException {
    SaeFormats.saveSaeLens(this, dir, modelName, hookName, java.util.Map.of(), metadata);
  }

  /** The {@code metadata} object of a SAELens-layout directory's cfg.json (empty if it has none). */
  public static java.util.Map<String, Object> readMetadata(Path dir) throws IOException {
    return SaeFormats.readMetadata(dir);
  }
}
