package dev.livesae.engine;

import java.util.Arrays;
import java.util.Locale;

/**
 * How latents are selected and which reconstruction losses are trained; {@link SaeConfig} holds the rest.
 * <ul>
 *   <li>{@link Kind#TOPK}: the k largest ReLU'd pre-activations of each row (Gao et al. 2024).</li>
 *   <li>{@link Kind#BATCHTOPK}: the k·B largest of the whole batch of B rows, so a row keeps more or fewer than k
 *       (Bussmann et al. 2024). Selected among each row's top {@code candidateMultiple·k} candidates (a row that
 *       would need more is counted, see {@link BatchTopKSelection}). Inference uses a JumpReLU threshold
 *       learned as a running average of the smallest kept activation per batch, at rate
 *       {@code thresholdRate}.</li>
 *   <li>{@link Kind#MATRYOSHKA_BATCHTOPK}: BatchTopK selection, and the loss is the sum of the reconstruction
 *       losses of the nested prefixes {@code [0, prefixes[0])}, {@code [0, prefixes[1])}, ..., {@code [0, n)}
 *       of the dictionary (Bussmann et al. 2025), see {@link MatryoshkaLoss}.</li>
 * </ul>
 *
 * @param kind              the architecture
 * @param candidateMultiple BatchTopK: per-row candidates = min(n, candidateMultiple · k); ignored for TopK
 * @param thresholdRate     BatchTopK: threshold ← (1 - rate) · threshold + rate · min kept activation, per step
 * @param prefixes          Matryoshka: strictly ascending prefix sizes in [1, n), the full dictionary n is
 *                          always the last prefix and is not listed; empty otherwise
 * @param topkWarmupSteps   batch architectures: the first steps select each row's top k (TopK) before batch
 *                          selection starts, see {@link BatchTopKSelection}; ignored for TopK
 */
public record Architecture(Kind kind, int candidateMultiple, double thresholdRate, int[] prefixes,
                           long topkWarmupSteps) {

  /** The three architectures, by their command-line name. */
  public enum Kind {
    TOPK("topk"), BATCHTOPK("batchtopk"), MATRYOSHKA_BATCHTOPK("matryoshka-batchtopk");

    private final String cliName;

    Kind(String cliName) {
      this.cliName = cliName;
    }

    public String cliName() {
      return cliName;
    }

    /** Parses {@code topk|batchtopk|matryoshka-batchtopk}. */
    public static Kind parse(String s) {
      for (Kind k : values()) {
        if (k.cliName.equals(s == null ? "" : s.trim().toLowerCase(Locale.ROOT))) {
          return k;
        }
      }
      throw new IllegalArgumentException("--architecture must be topk, batchtopk or matryoshka-batchtopk (got "
          + s + ")");
    }
  }

  /**
   * 4: at k = 32 a row may keep up to 128 latents. On the synthetic recovery data the share of rows that would
   * have needed more was 0 (docs/engine.md, BatchTopK).
   */
  public static final int DEFAULT_CANDIDATE_MULTIPLE = 4;
  /** SAELens' default {@code topk_threshold_lr}. */
  public static final double DEFAULT_THRESHOLD_RATE = 0.01;

  /**
   * 400: on the synthetic recovery data (docs/engine.md, BatchTopK warm-up) BatchTopK from the first step recovered
   * 92 % of the true features at 1.2M tokens; after 400 steps of per-row TopK, 99.5 %, and a lower FVU.
   */
  public static final long DEFAULT_TOPK_WARMUP_STEPS = 400;

  public static final Architecture TOPK = new Architecture(Kind.TOPK, DEFAULT_CANDIDATE_MULTIPLE,
      DEFAULT_THRESHOLD_RATE, new int[0]);

  /** With the default TopK warm-up. */
  public Architecture(Kind kind, int candidateMultiple, double thresholdRate, int[] prefixes) {
    this(kind, candidateMultiple, thresholdRate, prefixes, DEFAULT_TOPK_WARMUP_STEPS);
  }

  public Architecture {
    if (kind == null) {
      throw new IllegalArgumentException("Architecture.kind must not be null");
    }
    if (candidateMultiple < 1 || candidateMultiple > 64) {
      throw new IllegalArgumentException("Architecture.candidateMultiple must be in [1, 64] (got "
          + candidateMultiple + ")");
    }
    if (!(thresholdRate > 0 && thresholdRate <= 1)) {
      throw new IllegalArgumentException("Architecture.thresholdRate must be in (0, 1] (got " + thresholdRate + ")");
    }
    if (topkWarmupSteps < 0) {
      throw new IllegalArgumentException("Architecture.topkWarmupSteps must be >= 0 (got " + topkWarmupSteps + ")");
    }
    prefixes = prefixes == null ? new int[0] : prefixes.clone();
    if (kind != Kind.MATRYOSHKA_BATCHTOPK && prefixes.length > 0) {
      throw new IllegalArgumentException("--matryoshka-prefixes is only for --architecture matryoshka-batchtopk (got "
          + Arrays.toString(prefixes) + ")");
    }
    for (int i = 0; i < prefixes.length; i++) {
      if (prefixes[i] < 1 || (i > 0 && prefixes[i] <= prefixes[i - 1])) {
        throw new IllegalArgumentException("--matryoshka-prefixes must be strictly ascending positive sizes (got "
            + Arrays.toString(prefixes) + ")");
      }
    }
  }

  /** This architecture with another TopK warm-up (steps). */
  public Architecture withTopkWarmupSteps(long steps) {
    return new Architecture(kind, candidateMultiple, thresholdRate, prefixes, steps);
  }

  /** BatchTopK with the default candidates and threshold rate. */
  public static Architecture batchTopK() {
    return new Architecture(Kind.BATCHTOPK, DEFAULT_CANDIDATE_MULTIPLE, DEFAULT_THRESHOLD_RATE, new int[0]);
  }

  /** Matryoshka BatchTopK with the given inner prefix sizes (the full dictionary is the last prefix). */
  public static Architecture matryoshka(int... prefixes) {
    return new Architecture(Kind.MATRYOSHKA_BATCHTOPK, DEFAULT_CANDIDATE_MULTIPLE, DEFAULT_THRESHOLD_RATE, prefixes);
  }

  /**
   * Default inner prefixes for n latents: n/64, n/16, n/4 (those at least 1), so the dictionary is five
   * nested groups growing by 4x, as in the paper's settings of a few geometric widths.
   */
  public static int[] defaultPrefixes(int n) {
    return Arrays.stream(new int[] {n / 64, n / 16, n / 4}).filter(p -> p >= 1).distinct().toArray();
  }

  /** Parses {@code 128,512,2048}; empty or null = none. */
  public static int[] parsePrefixes(String s) {
    if (s == null || s.isBlank()) {
      return new int[0];
    }
    try {
      return Arrays.stream(s.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--matryoshka-prefixes must be comma-separated integers (got " + s + ")");
    }
  }

  @Override
  public int[] prefixes() {
    return prefixes.clone();
  }

  public boolean batchSelection() {
    return kind != Kind.TOPK;
  }

  /** Code slots per row: k for TopK, min(n, candidateMultiple · k) for the batch architectures. */
  public int slots(int k, int n) {
    return batchSelection() ? (int) Math.min(n, (long) candidateMultiple * k) : k;
  }

  /** Exclusive ends of the latent groups: the prefixes then n (one group [0, n) unless Matryoshka). */
  public int[] groupEnds(int n) {
    if (kind != Kind.MATRYOSHKA_BATCHTOPK) {
      return new int[] {n};
    }
    int[] p = prefixes.length > 0 ? prefixes : defaultPrefixes(n);
    for (int v : p) {
      if (v >= n) {
        throw new IllegalArgumentException("--matryoshka-prefixes must be < d_sae " + n + " (got "
            + Arrays.toString(p) + ")");
      }
    }
    int[] ends = Arrays.copyOf(p, p.length + 1);
    ends[p.length] = n;
    return ends;
  }

  /** Checks this architecture against a dictionary of n latents and k per row; throws naming the flag. */
  public void validate(int n, int k) {
    groupEnds(n);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Architecture a && a.kind == kind && a.candidateMultiple == candidateMultiple
        && Double.compare(a.thresholdRate, thresholdRate) == 0 && Arrays.equals(a.prefixes, prefixes)
        && a.topkWarmupSteps == topkWarmupSteps;
  }

  @Override
  public int hashCode() {
    return kind.hashCode() * 31 + Arrays.hashCode(prefixes);
  }

  @Override
  public String toString() {
    return kind.cliName + (batchSelection() ? " (candidates " + candidateMultiple + "k, threshold rate "
        + thresholdRate + ", topk warm-up " + topkWarmupSteps + " steps)" : "")
        + (prefixes.length > 0 ? " prefixes " + Arrays.toString(prefixes) : "");
  }
}
