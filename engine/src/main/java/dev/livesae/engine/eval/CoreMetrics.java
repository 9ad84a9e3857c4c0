package dev.livesae.engine.eval;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SAEBench's "core" metrics of an SAE on a set of held-out rows, accumulated row by row (no row is kept).
 * Names follow SAEBench's; every formula is over the rows added (N rows of d_in floats, x the input, x̂ the
 * reconstruction, z the codes):
 * <ul>
 *   <li>{@code explained_variance} = 1 - mean_r ‖x_r - x̂_r‖² / Σ_j Var(x_j) (Var over rows, per input
 *       dimension j, population form), so 1 - FVU: the residual is not centred, so a constant offset of x̂ counts
 *       as unexplained (SAELens' and SAEBench's current formula: mean squared residual over total variance);</li>
 *   <li>{@code mse} = mean over rows and dimensions of (x - x̂)²;</li>
 *   <li>{@code cossim} = mean over rows of cos(x, x̂) (a row with a zero vector counts 0);</li>
 *   <li>{@code l2_norm_in}, {@code l2_norm_out} = mean ‖x‖, mean ‖x̂‖; {@code l2_ratio} = mean of ‖x̂‖/‖x‖ over
 *       rows with ‖x‖ > 0 (below 1 means shrinkage);</li>
 *   <li>{@code relative_reconstruction_bias} = mean ‖x̂‖² / mean ⟨x, x̂⟩ (Rajamanoharan et al. 2024, eq. 10;
 *       1 is unbiased, below 1 shrinkage);</li>
 *   <li>{@code l0} = mean number of latents with z > 0 per row; {@code l1} = mean Σ z;</li>
 *   <li>{@code frac_alive} = fraction of latents that fired on at least one row;
 *       {@code freq_over_1_percent}, {@code freq_over_10_percent} = fraction of latents firing on more than
 *       1 % / 10 % of rows;</li>
 *   <li>{@code average_max_encoder_cosine_sim}, {@code average_max_decoder_cosine_sim} = mean over latents of
 *       the largest cosine between that latent's encoder (decoder) row and any other latent's (feature
 *       splitting and redundancy; needs the weights, see {@link #result(float[], float[])}).</li>
 * </ul>
 * Not thread-safe.
 */
public final class CoreMetrics {
  private final int dIn;
  private final int dSae;
  private final double[] sumX;
  private final double[] sumX2;
  private final long[] fires;
  private long rows;
  private long ratioRows;
  private double sumSqErr;
  private double sumCos;
  private double sumNormIn;
  private double sumNormOut;
  private double sumRatio;
  private double sumXhatSq;
  private double sumDot;
  private double sumL0;
  private double sumL1;

  public CoreMetrics(int dIn, int dSae) {
    if (dIn < 1) {
      throw new IllegalArgumentException("dIn must be >= 1 (got " + dIn + ")");
    }
    if (dSae < 1) {
      throw new IllegalArgumentException("dSae must be >= 1 (got " + dSae + ")");
    }
    this.dIn = dIn;
    this.dSae = dSae;
    this.sumX = new double[dIn];
    this.sumX2 = new double[dIn];
    this.fires = new long[dSae];
  }

  /**
   * Adds {@code n} rows. {@code x} and {@code xhat} are (n, d_in) row-major; the codes are {@code slots}
   * entries per row in {@code idx}/{@code val} (row-major), where an entry fires when its value is &gt; 0
   * (TopK codes have k slots; JumpReLU or BatchTopK codes pad with value 0).
   */
  public void add(float[] x, float[] xhat, int n, int[] idx, float[] val, int slots) {
    if (n < 0 || x == null || xhat == null || x.length < (long) n * dIn || xhat.length < (long) n * dIn) {
      throw new IllegalArgumentException("x and xhat must hold rows*dIn = " + n + "*" + dIn + " floats");
    }
    if (slots < 0 || idx == null || val == null || idx.length < (long) n * slots || val.length < (long) n * slots) {
      throw new IllegalArgumentException("idx and val must hold rows*slots = " + n + "*" + slots + " entries");
    }
    for (int r = 0; r < n; r++) {
      int o = r * dIn;
      double xx = 0;
      double hh = 0;
      double xh = 0;
      double ee = 0;
      for (int j = 0; j < dIn; j++) {
        double a = x[o + j];
        double b = xhat[o + j];
        double e = a - b;
        xx += a * a;
        hh += b * b;
        xh += a * b;
        ee += e * e;
        sumX[j] += a;
        sumX2[j] += a * a;
      }
      double nx = Math.sqrt(xx);
      double nh = Math.sqrt(hh);
      sumSqErr += ee;
      sumNormIn += nx;
      sumNormOut += nh;
      sumXhatSq += hh;
      sumDot += xh;
      if (nx > 0 && nh > 0) {
        sumCos += xh / (nx * nh);
      }
      if (nx > 0) {
        sumRatio += nh / nx;
        ratioRows++;
      }
      int l0 = 0;
      double l1 = 0;
      for (int s = r * slots; s < (r + 1) * slots; s++) {
        if (val[s] > 0f) {
          int i = idx[s];
          if (i < 0 || i >= dSae) {
            throw new IllegalArgumentException("latent index " + i + " outside [0, " + dSae + ")");
          }
          fires[i]++;
          l0++;
          l1 += val[s];
        }
      }
      sumL0 += l0;
      sumL1 += l1;
    }
    rows += n;
  }

  public long rows() {
    return rows;
  }

  /**
   * The metrics over every row added so far. {@code wEnc} and {@code wDec} are (d_sae, d_in) row-major (one
   * row per latent) or null, in which case the two max-cosine metrics are NaN.
   */
  public Result result(float[] wEnc, float[] wDec) {
    return result(wEnc, wDec, dSae);
  }

  /**
   * As {@link #result(float[], float[])}, averaging the two max-cosine metrics over {@code cosineLatents}
   * evenly spaced latents (each still against all others) when d_sae is larger: an unbiased estimate at
   * {@code cosineLatents / d_sae} of the cost. 0 skips them (NaN).
   */
  public Result result(float[] wEnc, float[] wDec, int cosineLatents) {
    if (rows == 0) {
      throw new IllegalStateException("no rows added");
    }
    double totalVar = 0;
    for (int j = 0; j < dIn; j++) {
      totalVar += variance(sumX[j], sumX2[j], rows);
    }
    double residVar = sumSqErr / rows;
    int alive = 0;
    int over1 = 0;
    int over10 = 0;
    for (long f : fires) {
      if (f > 0) {
        alive++;
      }
      if (f > 0.01 * rows) {
        over1++;
      }
      if (f > 0.10 * rows) {
        over10++;
      }
    }
    double n = rows;
    return new Result(rows,
        totalVar > 0 ? 1 - residVar / totalVar : Double.NaN,
        sumSqErr / (n * dIn),
        sumCos / n,
        sumNormIn / n,
        sumNormOut / n,
        ratioRows > 0 ? sumRatio / ratioRows : Double.NaN,
        sumDot != 0 ? (sumXhatSq / n) / (sumDot / n) : Double.NaN,
        sumL0 / n,
        sumL1 / n,
        (double) alive / dSae,
        (double) over1 / dSae,
        (double) over10 / dSae,
        wEnc == null || cosineLatents == 0 ? Double.NaN : averageMaxCosine(wEnc, dSae, dIn, cosineLatents),
        wDec == null || cosineLatents == 0 ? Double.NaN : averageMaxCosine(wDec, dSae, dIn, cosineLatents));
  }

  private static double variance(double sum, double sumSq, long n) {
    double mean = sum / n;
    return Math.max(0, sumSq / n - mean * mean);
  }

  /**
   * Mean over the n rows of {@code w} (n, d) of the largest cosine similarity to any other row. Rows of zero
   * norm count 0. Computed in blocks of rows with an fp32 gemm against the whole normalised matrix, so memory
   * is one (block, n) tile.
   */
  public static double averageMaxCosine(float[] w, int n, int d) {
    return averageMaxCosine(w, n, d, n);
  }

  /**
   * As {@link #averageMaxCosine(float[], int, int)} over the rows {@code floor(j n / sample)}, j &lt; sample
   * (all rows when {@code sample >= n}), each against all n rows.
   */
  public static double averageMaxCosine(float[] w, int n, int d, int sample) {
    if (sample < 1) {
      throw new IllegalArgumentException("sample must be >= 1 (got " + sample + ")");
    }
    if (w == null || w.length != (long) n * d) {
      throw new IllegalArgumentException("w must hold n*d = " + n + "*" + d + " floats");
    }
    if (n < 2) {
      return Double.NaN;
    }
    float[] unit = new float[w.length];
    for (int i = 0; i < n; i++) {
      double s = 0;
      for (int j = 0; j < d; j++) {
        s += (double) w[i * d + j] * w[i * d + j];
      }
      float inv = s > 0 ? (float) (1 / Math.sqrt(s)) : 0f;
      for (int j = 0; j < d; j++) {
        unit[i * d + j] = w[i * d + j] * inv;
      }
    }
    int m = Math.min(sample, n);
    int[] pick = new int[m];
    for (int j = 0; j < m; j++) {
      pick[j] = (int) ((long) j * n / m);
    }
    INDArray all = Nd4j.create(unit, new long[] {n, d}, 'c');
    int block = Math.max(1, Math.min(m, (1 << 22) / n));
    double sum = 0;
    INDArray tile = Nd4j.create(DataType.FLOAT, block, n);
    float[] host = new float[block * n];
    for (int from = 0; from < m; from += block) {
      int rowsHere = Math.min(block, m - from);
      INDArray out = rowsHere == block ? tile : Nd4j.create(DataType.FLOAT, rowsHere, n);
      float[] picked = new float[rowsHere * d];
      for (int r = 0; r < rowsHere; r++) {
        System.arraycopy(unit, pick[from + r] * d, picked, r * d, d);
      }
      INDArray part = Nd4j.create(picked, new long[] {rowsHere, d}, 'c');
      Nd4j.gemm(part, all, out, false, true, 1.0, 0.0);
      float[] vals = rowsHere == block ? host : new float[rowsHere * n];
      out.data().asNioFloat().get(vals, 0, rowsHere * n);
      for (int r = 0; r < rowsHere; r++) {
        float best = Float.NEGATIVE_INFINITY;
        int self = pick[from + r];
        for (int c = 0; c < n; c++) {
          if (c != self && vals[r * n + c] > best) {
            best = vals[r * n + c];
          }
        }
        sum += Math.max(0f, Math.min(1f, best));
      }
    }
    return sum / m;
  }

  /** The metrics, SAEBench names in {@link #asMap()}. */
  public record Result(long rows, double explainedVariance, double mse, double cossim, double l2NormIn,
      double l2NormOut, double l2Ratio, double relativeReconstructionBias, double l0, double l1,
      double fracAlive, double freqOver1Percent, double freqOver10Percent, double averageMaxEncoderCosineSim,
      double averageMaxDecoderCosineSim) {

    /** SAEBench names, in a stable order. */
    public Map<String, Double> asMap() {
      Map<String, Double> m = new LinkedHashMap<>();
      m.put("explained_variance", explainedVariance);
      m.put("mse", mse);
      m.put("cossim", cossim);
      m.put("l2_norm_in", l2NormIn);
      m.put("l2_norm_out", l2NormOut);
      m.put("l2_ratio", l2Ratio);
      m.put("relative_reconstruction_bias", relativeReconstructionBias);
      m.put("l0", l0);
      m.put("l1", l1);
      m.put("frac_alive", fracAlive);
      m.put("freq_over_1_percent", freqOver1Percent);
      m.put("freq_over_10_percent", freqOver10Percent);
      m.put("average_max_encoder_cosine_sim", averageMaxEncoderCosineSim);
      m.put("average_max_decoder_cosine_sim", averageMaxDecoderCosineSim);
      return m;
    }

    /** One JSON object: {"rows":N, "explained_variance":..., ...}; NaN as null. */
    public String toJson() {
      StringBuilder sb = new StringBuilder("{\"rows\":").append(rows);
      for (Map.Entry<String, Double> e : asMap().entrySet()) {
        sb.append(",\"").append(e.getKey()).append("\":");
        double v = e.getValue();
        sb.append(Double.isFinite(v) ? Double.toString(v) : "null");
      }
      return sb.append('}').toString();
    }
  }

  @Override
  public String toString() {
    return "CoreMetrics[dIn=" + dIn + ", dSae=" + dSae + ", rows=" + rows + ", fires=" + Arrays.stream(fires)
        .filter(f -> f > 0).count() + " alive]";
  }
}
