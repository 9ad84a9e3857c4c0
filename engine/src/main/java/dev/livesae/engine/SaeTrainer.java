package dev.livesae.engine;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livesae.engine.io.CheckpointException;
import dev.livesae.engine.io.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Trains a TopK SAE one batch at a time (Gao et al. 2024), or a BatchTopK / Matryoshka BatchTopK SAE (see
 * {@link Architecture}). Per step, in internal units {@code xs = inputScale * x}:
 * <ol>
 *   <li>encode: xc = xs - b_pre; pre = xc W_enc^T + b_enc; z = TopK(ReLU(pre)) (and the top-kAux among dead
 *       latents when AuxK is on and some latent is dead); for the batch architectures the top-k' per row
 *       then {@link BatchTopKSelection} over the batch</li>
 *   <li>decode: x_hat = b_pre + sum_j z_j W_dec[i_j]; e = xs - x_hat; FVU = sum ||e||^2 / sum ||xs - mean||^2</li>
 *   <li>AuxK: e_hat = sum_j a_j W_dec[i_j]; auxK = sum ||e_hat - e||^2 / sum ||e - mean(e)||^2 (e detached; the
 *       variance of the residual, as OpenAI normalises it); loss = FVU + auxKCoeff * auxK (Matryoshka: the sum of
 *       the prefix FVUs, {@link MatryoshkaLoss}, in place of FVU)</li>
 *   <li>sparse backward, decoder-row gradients made orthogonal to the rows, optional clipping, Adam with
 *       linear warm-up, decoder rows renormalised</li>
 *   <li>firing clocks, optional dead-latent resampling</li>
 * </ol>
 * A step whose input or loss or gradient is not finite changes nothing and returns {@code skipped = true}.
 * Not thread-safe. Deterministic: same config, seed and batches give bit-identical weights.
 */
public final class SaeTrainer implements AutoCloseable {
  static final String STATE_FILE = "trainer_state.safetensors";
  static final String STATE_FORMAT = "livesae-trainer-state";
  /** 2 added the resampling reservoir; 1 is still read (with an empty reservoir). */
  static final String STATE_VERSION = "2";
  static final String RESERVOIR = "resample.reservoir";

  private final SaeConfig cfg;
  private final Architecture arch;
  /** Code slots per row: k, or the BatchTopK candidates k'. */
  private final int slots;
  private final BatchTopKSelection selection;
  private final MatryoshkaLoss matryoshka;
  private final boolean fast;
  private final SaeState s;
  /** The resampler's stream: reservoir admission and the choice of inputs for dead latents. */
  private final Rng rng;
  /** Inputs since the last resampling; null when resampling is off. */
  private final ResampleReservoir reservoir;
  private final int d;
  private final int n;
  private final TopKEncoder encoder;
  private final INDArray wEncNative;
  private final java.nio.FloatBuffer wEncMirror;
  private boolean wEncDirty = true;
  private final SparseBackward backward = new SparseBackward();
  private final AuxKDecoder auxDecoder = new AuxKDecoder();
  private final Grads grads;
  private final int[] deadList;
  private final int[] fireCount;
  private final boolean[] deadMask;
  private int cap = -1;
  /** Test hook: sees the gradients of each step before clipping and the optimizer. */
  java.util.function.Consumer<Grads> gradientObserver;
  private float[] xs;
  private float[] xc;
  private float[] xhat;
  private float[] resid;
  private float[] ehat;
  private float[] gOut;
  private float[] hOut;
  private int[] idx;
  private float[] val;
  private int[] auxIdx;
  private float[] auxVal;

  private SaeTrainer(SaeConfig cfg, Architecture arch, SaeState state, long rngState, boolean fast) {
    this.cfg = cfg;
    this.arch = arch;
    this.slots = arch.slots(cfg.k(), cfg.dSae());
    this.selection = arch.batchSelection()
        ? new BatchTopKSelection(arch.thresholdRate(), arch.topkWarmupSteps()) : null;
    this.matryoshka = arch.kind() == Architecture.Kind.MATRYOSHKA_BATCHTOPK
        ? new MatryoshkaLoss(arch.groupEnds(cfg.dSae()), backward) : null;
    this.fast = fast;
    this.s = state;
    this.rng = new Rng(0);
    this.rng.setState(rngState);
    this.d = cfg.dIn();
    this.n = cfg.dSae();
    this.grads = new Grads(n, d);
    this.deadList = new int[n];
    this.fireCount = new int[n];
    this.deadMask = new boolean[n];
    this.reservoir = cfg.resampleEveryTokens() > 0 && cfg.resampleMaxTimes() > 0
        ? new ResampleReservoir(d, ResampleReservoir.capacityFor(n)) : null;
    if (fast) {
      this.encoder = new TopKEncoder(d, n);
      this.wEncNative = TopKEncoder.upload(s.wEnc, n, d);
      this.wEncMirror = TopKEncoder.buffer(wEncNative);
    } else {
      this.encoder = null;
      this.wEncNative = null;
      this.wEncMirror = null;
    }
  }

  /**
   * New trainer: decoder rows random unit vectors (seeded), W_enc rows = W_dec rows, b_enc = 0; the input
   * scale makes E||x|| = sqrt(dIn) on the sample, b_pre = geometric median (Weiszfeld) of the scaled sample.
   */
  public static SaeTrainer create(SaeConfig cfg, float[] firstSample, int rows) {
    return create(cfg, firstSample, rows, Kernels.FAST_DEFAULT);
  }

  /** As {@link #create(SaeConfig, float[], int)} with an architecture other than TopK. */
  public static SaeTrainer create(SaeConfig cfg, Architecture arch, float[] firstSample, int rows) {
    return create(cfg, arch, firstSample, rows, Kernels.FAST_DEFAULT);
  }

  static SaeTrainer create(SaeConfig cfg, float[] firstSample, int rows, boolean fast) {
    return create(cfg, Architecture.TOPK, firstSample, rows, fast);
  }

  static SaeTrainer create(SaeConfig cfg, Architecture arch, float[] firstSample, int rows, boolean fast) {
    arch.validate(cfg.dSae(), cfg.k());
    int d = cfg.dIn();
    if (rows < 1) {
      throw new IllegalArgumentException("rows must be >= 1 (got " + rows + ")");
    }
    if (firstSample == null || firstSample.length != (long) rows * d) {
      throw new IllegalArgumentException("firstSample length must be rows*dIn = " + rows + "*" + d + " (got "
          + (firstSample == null ? "null" : firstSample.length) + ")");
    }
    double normSum = 0;
    for (int r = 0; r < rows; r++) {
      double sq = SparseBackward.sqNorm(firstSample, r * d, d);
      if (!Double.isFinite(sq)) {
        throw new IllegalArgumentException("firstSample row " + r + " is not finite");
      }
      normSum += Math.sqrt(sq);
    }
    double meanNorm = normSum / rows;
    if (!(meanNorm > 0)) {
      throw new IllegalArgumentException("firstSample mean norm must be > 0 (got " + meanNorm + ")");
    }
    SaeState st = new SaeState(cfg.dSae(), d);
    st.inputScale = (float) (Math.sqrt(d) / meanNorm);
    float[] scaled = new float[rows * d];
    for (int q = 0; q < scaled.length; q++) {
      scaled[q] = firstSample[q] * st.inputScale;
    }
    System.arraycopy(GeometricMedian.compute(scaled, rows, d, 200, 1e-7), 0, st.bPre, 0, d);
    Rng init = new Rng(Seeds.derive(cfg.seed(), Seeds.TRAINER_INIT));
    for (int q = 0; q < st.wDec.length; q++) {
      st.wDec[q] = (float) init.nextGaussian();
    }
    DecoderRows.reference(st.wDec, cfg.dSae(), d);
    System.arraycopy(st.wDec, 0, st.wEnc, 0, st.wDec.length);
    st.nextResampleAt = cfg.resampleEveryTokens();
    return new SaeTrainer(cfg, arch, st, Seeds.derive(cfg.seed(), Seeds.TRAINER_RESAMPLE), fast);
  }

  public SaeConfig config() {
    return cfg;
  }

  public Architecture architecture() {
    return arch;
  }

  /**
   * BatchTopK figures: the inference threshold (original units, NaN for TopK), rows so far whose every one of
   * the k' candidates was kept (they may have needed more), and rows trained.
   */
  public SelectionStats selectionStats() {
    if (selection == null) {
      return new SelectionStats(Double.NaN, 0, 0, 0, slots);
    }
    return new SelectionStats(selection.threshold() / s.inputScale, selection.saturatedRows(), selection.rowsSeen(),
        selection.lastSaturated(), slots);
  }

  /**
   * @param threshold      BatchTopK inference threshold in original units (NaN for TopK)
   * @param saturatedRows  rows, over all steps, that kept all their {@code slots} candidates
   * @param rows           rows trained with batch selection
   * @param lastSaturated  saturated rows of the last step
   * @param slots          code slots per row (k, or the BatchTopK candidates k')
   */
  public record SelectionStats(double threshold, long saturatedRows, long rows, int lastSaturated, int slots) {
  }

  public long tokensSeen() {
    return s.tokensSeen;
  }

  public long step() {
    return s.step;
  }

  public float inputScale() {
    return s.inputScale;
  }

  /** Total latents resampled so far. */
  public long resampledLatents() {
    return s.resampledLatents;
  }

  private void ensureCapacity(int rows) {
    if (rows <= cap) {
      return;
    }
    cap = rows;
    int kA = Math.min(cfg.kAux(), n);
    xs = new float[rows * d];
    xc = new float[rows * d];
    xhat = new float[rows * d];
    resid = new float[rows * d];
    ehat = new float[rows * d];
    gOut = new float[rows * d];
    hOut = new float[rows * d];
    idx = new int[rows * slots];
    val = new float[rows * slots];
    auxIdx = new int[rows * kA];
    auxVal = new float[rows * kA];
  }

  /** One Adam step on x (rows, dIn) row-major in original units. */
  public StepResult step(float[] x, int rows) {
    if (rows < 1) {
      throw new IllegalArgumentException("rows must be >= 1 (got " + rows + ")");
    }
    if (x == null || x.length != (long) rows * d) {
      throw new IllegalArgumentException("x length must be rows*dIn = " + rows + "*" + d + " (got "
          + (x == null ? "null" : x.length) + ")");
    }
    for (float v : x) {
      if (!Float.isFinite(v)) {
        return skipped(Double.NaN, Double.NaN, PhaseTimes.ZERO);
      }
    }
    ensureCapacity(rows);
    final int k = cfg.k();
    long t0 = System.nanoTime();
    // ---- encode
    final float scale = s.inputScale;
    Parallel.forChunks(rows, 64, (ch, from, to) -> {
      for (int r = from; r < to; r++) {
        for (int c = 0, q = r * d; c < d; c++, q++) {
          float v = x[q] * scale;
          xs[q] = v;
          xc[q] = v - s.bPre[c];
        }
      }
    });
    int deadCount = 0;
    for (int i = 0; i < n; i++) {
      if (s.tokensSinceFired[i] >= cfg.deadTokensThreshold()) {
        deadList[deadCount++] = i;
      }
    }
    int kAux = (cfg.auxK() && cfg.auxKCoeff() > 0 && deadCount > 0) ? Math.min(cfg.kAux(), deadCount) : 0;
    int[] dead = kAux > 0 ? deadList : null;
    long[] nanos = new long[2];
    if (fast) {
      if (wEncDirty) {
        TopKEncoder.upload(s.wEnc, wEncNative);
        wEncDirty = false;
      }
      encoder.encode(xc, rows, wEncNative, s.bEnc, slots, idx, val, dead, deadCount, kAux, auxIdx, auxVal, nanos);
    } else {
      long a = System.nanoTime();
      TopKEncoder.reference(xc, rows, s.wEnc, s.bEnc, d, n, slots, idx, val, dead, deadCount, kAux, auxIdx, auxVal);
      nanos[0] = System.nanoTime() - a;
    }
    if (selection != null) {
      long a = System.nanoTime();
      selection.select(rows, slots, k, val, s.step);
      nanos[1] += System.nanoTime() - a;
    }
    long t1 = System.nanoTime();
    double encodeMs = (t1 - t0 - nanos[1]) / 1e6;
    double topkMs = nanos[1] / 1e6;
    // ---- decode, FVU, AuxK
    if (fast) {
      SparseDecoder.decode(rows, d, slots, idx, val, s.wDec, s.bPre, xhat);
    } else {
      SparseDecoder.reference(rows, d, n, slots, idx, val, s.wDec, s.bPre, xhat);
    }
    double sse = 0;
    for (int r = 0; r < rows; r++) {
      double e2 = 0;
      for (int q = r * d; q < (r + 1) * d; q++) {
        float e = xs[q] - xhat[q];
        resid[q] = e;
        e2 += (double) e * e;
      }
      sse += e2;
    }
    double totalVariance = BatchVariance.of(xs, rows, d);
    double fvu = sse / totalVariance;
    double aux = 0;
    double auxNorm = 0;
    double residualVariance = kAux > 0 ? BatchVariance.of(resid, rows, d) : 0;
    if (kAux > 0 && residualVariance > 0) {
      if (fast) {
        auxDecoder.decode(rows, d, n, kAux, auxIdx, auxVal, s.wDec, ehat);
      } else {
        SparseDecoder.reference(rows, d, n, kAux, auxIdx, auxVal, s.wDec, null, ehat);
      }
      double num = 0;
      for (int q = 0; q < rows * d; q++) {
        double t = (double) ehat[q] - resid[q];
        num += t * t;
      }
      auxNorm = 1.0 / residualVariance; // OpenAI's normalisation (docs/engine.md, AuxK)
      aux = num * auxNorm;
    } else {
      kAux = 0;
    }
    double recon = matryoshka == null ? fvu
        : matryoshka.loss(rows, d, slots, idx, val, s.wDec, resid, totalVariance, null);
    double loss = recon + cfg.auxKCoeff() * aux;
    long t2 = System.nanoTime();
    double decodeMs = (t2 - t1) / 1e6;
    if (!Double.isFinite(loss)) {
      return skipped(fvu, aux, new PhaseTimes(encodeMs, topkMs, decodeMs, 0, 0));
    }
    // ---- backward
    float gCoef = (float) (-2.0 / totalVariance);
    for (int q = 0; q < rows * d; q++) {
      gOut[q] = gCoef * resid[q];
    }
    float[] h = null;
    if (kAux > 0) {
      float hCoef = (float) (2.0 * cfg.auxKCoeff() * auxNorm);
      for (int q = 0; q < rows * d; q++) {
        hOut[q] = hCoef * (ehat[q] - resid[q]);
      }
      h = hOut;
    }
    if (matryoshka != null) {
      matryoshka.backward(rows, d, n, slots, xc, idx, val, resid, totalVariance, kAux, auxIdx, auxVal, h, s.wEnc,
          s.wDec, grads);
    } else if (fast) {
      backward.backward(rows, d, n, slots, xc, idx, val, gOut, kAux, auxIdx, auxVal, h, s.wEnc, s.wDec, grads);
    } else {
      SparseBackward.reference(rows, d, n, slots, xc, idx, val, gOut, kAux, auxIdx, auxVal, h, s.wEnc, s.wDec,
          grads);
    }
    double gradNorm = grads.norm();
    if (gradientObserver != null) {
      gradientObserver.accept(grads);
    }
    long t3 = System.nanoTime();
    double backwardMs = (t3 - t2) / 1e6;
    if (!Double.isFinite(gradNorm)) {
      grads.clear();
      return skipped(fvu, aux, new PhaseTimes(encodeMs, topkMs, decodeMs, backwardMs, 0));
    }
    // ---- optimizer
    if (cfg.clipGradNorm() > 0 && gradNorm > cfg.clipGradNorm()) {
      grads.scale((float) (cfg.clipGradNorm() / gradNorm));
    }
    long t = s.step + 1;
    float lr = cfg.effectiveLr();
    if (cfg.warmupSteps() > 0 && t < cfg.warmupSteps()) {
      lr = (float) (lr * ((double) t / cfg.warmupSteps()));
    }
    if (fast) {
      Adam.step(s.wEnc, grads.wEnc, s.mWEnc, s.vWEnc, n * d, lr, t, wEncMirror); // also updates wEncNative
      Adam.step(s.wDec, grads.wDec, s.mWDec, s.vWDec, n * d, lr, t);
      Adam.step(s.bEnc, grads.bEnc, s.mBEnc, s.vBEnc, n, lr, t);
      Adam.step(s.bPre, grads.bPre, s.mBPre, s.vBPre, d, lr, t);
      DecoderRows.normalize(s.wDec, n, d);
    } else {
      Adam.reference(s.wEnc, grads.wEnc, s.mWEnc, s.vWEnc, n * d, lr, t);
      Adam.reference(s.wDec, grads.wDec, s.mWDec, s.vWDec, n * d, lr, t);
      Adam.reference(s.bEnc, grads.bEnc, s.mBEnc, s.vBEnc, n, lr, t);
      Adam.reference(s.bPre, grads.bPre, s.mBPre, s.vBPre, d, lr, t);
      DecoderRows.reference(s.wDec, n, d);
    }
    grads.clear();
    wEncDirty = !fast;
    s.step = t;
    s.tokensSeen += rows;
    // ---- firing statistics, clocks, resampling
    java.util.Arrays.fill(fireCount, 0);
    long firing = 0;
    if (selection != null) {
      selection.stepDone(rows);
    }
    for (int e = 0; e < rows * slots; e++) {
      if (val[e] > 0f) {
        fireCount[idx[e]]++;
        firing++;
      }
    }
    int dense = 0;
    for (int i = 0; i < n; i++) {
      if (fireCount[i] > 0) {
        s.tokensSinceFired[i] = 0;
      } else if (s.tokensSinceFired[i] < Long.MAX_VALUE - rows) {
        s.tokensSinceFired[i] += rows;
      }
      if (fireCount[i] > 0.1 * rows) {
        dense++;
      }
    }
    int resampled = 0;
    if (reservoir != null && s.resampleTimes < cfg.resampleMaxTimes()) {
      reservoir.offer(xs, rows, rng);
    }
    if (reservoir != null && s.resampleTimes < cfg.resampleMaxTimes() && s.tokensSeen >= s.nextResampleAt) {
      for (int i = 0; i < n; i++) {
        deadMask[i] = s.tokensSinceFired[i] >= cfg.deadTokensThreshold();
      }
      resampled = DeadLatentResampler.resample(reservoir, k, deadMask, s, rng, fast);
      reservoir.clear();
      wEncDirty = true; // the resampler rewrites encoder rows in s.wEnc only
      s.resampleTimes++;
      s.nextResampleAt += cfg.resampleEveryTokens();
      s.resampledLatents += resampled;
    }
    long t4 = System.nanoTime();
    PhaseTimes times = new PhaseTimes(encodeMs, topkMs, decodeMs, backwardMs, (t4 - t3) / 1e6);
    return new StepResult(s.step, s.tokensSeen, fvu, aux, (double) firing / rows, deadFraction(),
        (double) dense / n, resampled, false, gradNorm, times);
  }

  private double deadFraction() {
    int dead = 0;
    for (int i = 0; i < n; i++) {
      if (s.tokensSinceFired[i] >= cfg.deadTokensThreshold()) {
        dead++;
      }
    }
    return (double) dead / n;
  }

  private StepResult skipped(double fvu, double aux, PhaseTimes times) {
    return new StepResult(s.step, s.tokensSeen, fvu, aux, Double.NaN, deadFraction(), Double.NaN, 0, true,
        Double.NaN, times);
  }

  /** Immutable copy of the current dictionary in original units (input scale folded into b_enc, b_dec). */
  public Sae snapshot() {
    float inv = 1f / s.inputScale;
    float[] bEnc = new float[n];
    for (int i = 0; i < n; i++) {
      bEnc[i] = s.bEnc[i] * inv;
    }
    float[] bDec = new float[d];
    for (int q = 0; q < d; q++) {
      bDec[q] = s.bPre[q] * inv;
    }
    float[] threshold = null;
    if (selection != null) {
      threshold = new float[n];
      java.util.Arrays.fill(threshold, selection.threshold() * inv);
    }
    return new Sae(d, n, slots, s.wEnc.clone(), bEnc, s.wDec.clone(), bDec, threshold, fast);
  }

  /** Raw internal state, for tests (same object, do not modify). */
  SaeState state() {
    return s;
  }

  /**
   * Writes {@code cfg.json} + {@code sae_weights.safetensors} (SAELens layout, scale folded) and
   * {@code trainer_state.safetensors} (internal biases, Adam moments, firing clocks, counters, RNG, config),
   * each atomically.
   */
  public void save(Path dir, String modelName, String hookName) throws IOException {
    Files.createDirectories(dir);
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("step", s.step);
    meta.put("tokens_seen", s.tokensSeen);
    meta.put("input_scale_folded", s.inputScale);
    meta.put("trainer_state", STATE_FILE);
    Safetensors.Writer w = new Safetensors.Writer()
        .f32("b_enc", s.bEnc, n)
        .f32("b_pre", s.bPre, d)
        .f32("adam.W_enc.m", s.mWEnc, n, d)
        .f32("adam.W_enc.v", s.vWEnc, n, d)
        .f32("adam.b_enc.m", s.mBEnc, n)
        .f32("adam.b_enc.v", s.vBEnc, n)
        .f32("adam.W_dec.m", s.mWDec, n, d)
        .f32("adam.W_dec.v", s.vWDec, n, d)
        .f32("adam.b_pre.m", s.mBPre, d)
        .f32("adam.b_pre.v", s.vBPre, d)
        .i64("tokens_since_fired", s.tokensSinceFired, n);
    if (reservoir != null && reservoir.size() > 0) {
      w.f32(RESERVOIR, java.util.Arrays.copyOf(reservoir.rows(), reservoir.size() * d), reservoir.size(), d);
    }
    w.metadata("format", STATE_FORMAT)
        .metadata("format_version", STATE_VERSION)
        .metadata("reservoir_rows", Integer.toString(reservoir == null ? 0 : reservoir.size()))
        .metadata("reservoir_seen", Long.toString(reservoir == null ? 0 : reservoir.seen()))
        .metadata("config", SaeFormats.JSON.writeValueAsString(cfg))
        .metadata("step", Long.toString(s.step))
        .metadata("tokens_seen", Long.toString(s.tokensSeen))
        .metadata("input_scale_bits", Integer.toString(Float.floatToRawIntBits(s.inputScale)))
        .metadata("input_scale", Float.toString(s.inputScale))
        .metadata("rng_state", Long.toString(rng.state()))
        .metadata("resampled_latents", Long.toString(s.resampledLatents))
        .metadata("resample_times", Integer.toString(s.resampleTimes))
        .metadata("next_resample_at", Long.toString(s.nextResampleAt))
        .metadata("architecture", SaeFormats.JSON.writeValueAsString(arch))
        .metadata("threshold_bits", Integer.toString(selection == null ? 0 : Float.floatToRawIntBits(selection.threshold())))
        .metadata("threshold_updates", Long.toString(selection == null ? 0 : selection.updates()))
        .metadata("saturated_rows", Long.toString(selection == null ? 0 : selection.saturatedRows()))
        .metadata("selection_rows", Long.toString(selection == null ? 0 : selection.rowsSeen()))
        .write(dir.resolve(STATE_FILE));
    SaeFormats.saveSaeLens(snapshot(), dir, modelName, hookName, meta,
        Map.of("training_architecture", arch.kind().cliName()));
  }

  /** Resumes a trainer saved by {@link #save}: the next steps are bit-identical to an uninterrupted run. */
  public static SaeTrainer load(Path dir) throws IOException {
    return load(dir, Kernels.FAST_DEFAULT);
  }

  static SaeTrainer load(Path dir, boolean fast) throws IOException {
    Path stateFile = dir.resolve(STATE_FILE);
    Safetensors.Reader st = Safetensors.read(stateFile);
    Map<String, String> m = st.metadata();
    if (!STATE_FORMAT.equals(m.get("format"))) {
      throw new CheckpointException(stateFile, "format is '" + m.get("format") + "', expected " + STATE_FORMAT);
    }
    if (!"1".equals(m.get("format_version")) && !STATE_VERSION.equals(m.get("format_version"))) {
      throw new CheckpointException(stateFile, "unsupported format_version " + m.get("format_version"));
    }
    SaeConfig cfg;
    try {
      cfg = SaeFormats.JSON.readValue(m.get("config"), SaeConfig.class);
    } catch (IOException | IllegalArgumentException | NullPointerException e) {
      throw new CheckpointException(stateFile, "bad config metadata: " + e.getMessage(), e);
    }
    Path cfgFile = dir.resolve(SaeFormats.CFG);
    JsonNode lensCfg = SaeFormats.readJson(cfgFile);
    long step = parseLong(stateFile, m, "step");
    long cfgStep = lensCfg.path("livesae").path("step").asLong(-1);
    if (cfgStep != step) {
      throw new CheckpointException(cfgFile, "livesae.step " + cfgStep + " does not match " + STATE_FILE
          + " step " + step + " (files from different saves)");
    }
    Architecture arch = Architecture.TOPK;
    if (m.containsKey("architecture")) {
      try {
        arch = SaeFormats.JSON.readValue(m.get("architecture"), Architecture.class);
      } catch (IOException | IllegalArgumentException e) {
        throw new CheckpointException(stateFile, "bad architecture metadata: " + e.getMessage(), e);
      }
    }
    int slots = arch.slots(cfg.k(), cfg.dSae());
    Sae sae = SaeFormats.loadSaeLens(dir, fast);
    if (sae.dIn() != cfg.dIn() || sae.dSae() != cfg.dSae() || sae.k() != slots) {
      throw new CheckpointException(cfgFile, "shape d_in=" + sae.dIn() + " d_sae=" + sae.dSae() + " k=" + sae.k()
          + " does not match trainer config dIn=" + cfg.dIn() + " dSae=" + cfg.dSae() + " code slots=" + slots);
    }
    int n = cfg.dSae();
    int d = cfg.dIn();
    SaeState s = new SaeState(n, d);
    System.arraycopy(sae.wEncRaw(), 0, s.wEnc, 0, n * d);
    System.arraycopy(sae.wDecRaw(), 0, s.wDec, 0, n * d);
    System.arraycopy(st.f32("b_enc", n), 0, s.bEnc, 0, n);
    System.arraycopy(st.f32("b_pre", d), 0, s.bPre, 0, d);
    System.arraycopy(st.f32("adam.W_enc.m", n, d), 0, s.mWEnc, 0, n * d);
    System.arraycopy(st.f32("adam.W_enc.v", n, d), 0, s.vWEnc, 0, n * d);
    System.arraycopy(st.f32("adam.b_enc.m", n), 0, s.mBEnc, 0, n);
    System.arraycopy(st.f32("adam.b_enc.v", n), 0, s.vBEnc, 0, n);
    System.arraycopy(st.f32("adam.W_dec.m", n, d), 0, s.mWDec, 0, n * d);
    System.arraycopy(st.f32("adam.W_dec.v", n, d), 0, s.vWDec, 0, n * d);
    System.arraycopy(st.f32("adam.b_pre.m", d), 0, s.mBPre, 0, d);
    System.arraycopy(st.f32("adam.b_pre.v", d), 0, s.vBPre, 0, d);
    System.arraycopy(st.i64("tokens_since_fired", n), 0, s.tokensSinceFired, 0, n);
    s.step = step;
    s.tokensSeen = parseLong(stateFile, m, "tokens_seen");
    s.inputScale = Float.intBitsToFloat((int) parseLong(stateFile, m, "input_scale_bits"));
    if (!(s.inputScale > 0) || !Float.isFinite(s.inputScale)) {
      throw new CheckpointException(stateFile, "input scale " + s.inputScale + " is not a positive finite number");
    }
    s.resampledLatents = parseLong(stateFile, m, "resampled_latents");
    s.resampleTimes = (int) parseLong(stateFile, m, "resample_times");
    s.nextResampleAt = parseLong(stateFile, m, "next_resample_at");
    SaeTrainer t = new SaeTrainer(cfg, arch, s, parseLong(stateFile, m, "rng_state"), fast);
    if (t.selection != null) {
      t.selection.restore(Float.intBitsToFloat((int) parseLong(stateFile, m, "threshold_bits")),
          parseLong(stateFile, m, "threshold_updates"), parseLong(stateFile, m, "saturated_rows"),
          parseLong(stateFile, m, "selection_rows"));
    }
    int reservoirRows = m.containsKey("reservoir_rows") ? (int) parseLong(stateFile, m, "reservoir_rows") : 0;
    if (reservoirRows > 0 && t.reservoir != null) { // format 1 has no reservoir: resampling starts a new sample
      try {
        t.reservoir.restore(st.f32(RESERVOIR, reservoirRows, d), reservoirRows, parseLong(stateFile, m, "reservoir_seen"));
      } catch (IllegalArgumentException e) {
        t.close();
        throw new CheckpointException(stateFile, e.getMessage());
      }
    }
    return t;
  }

  private static long parseLong(Path file, Map<String, String> m, String key) throws CheckpointException {
    String v = m.get(key);
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new CheckpointException(file, "metadata " + key + " must be an integer (got " + v + ")");
    }
  }

  @Override
  public void close() {
    if (encoder != null) {
      encoder.close();
      wEncNative.close();
    }
  }
}
