package dev.livesae.monitor;

import java.time.Duration;
import java.util.Locale;

/**
 * What the monitor keeps of the text that makes features fire ({@code --contexts}, {@code --context-retention},
 * {@code --context-examples}). Examples are user text: off keeps every telemetry number and stores no token.
 *
 * @param enabled        whether examples (token windows) and activation histograms are stored at all
 * @param topExamples    highest-activation examples kept per feature
 * @param samplesPerBin  examples kept per activation-quantile bin (a uniform reservoir sample per bin)
 * @param before         tokens kept before the firing token
 * @param after          tokens kept after the firing token
 * @param retention      examples older than this (record timestamp) are dropped
 */
public record ContextOptions(boolean enabled, int topExamples, int samplesPerBin, int before, int after, Duration retention) {
    /** Quantile bins of the uniform sample: quartiles of the feature's activations seen so far. */
    public static final int QUANTILE_BINS = 4;
    public static final int DEFAULT_TOP_EXAMPLES = 20;
    public static final int DEFAULT_SAMPLES_PER_BIN = 4;
    public static final int DEFAULT_BEFORE = 8;
    public static final int DEFAULT_AFTER = 4;
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(7);
    public static final ContextOptions DEFAULTS = new ContextOptions(true, DEFAULT_TOP_EXAMPLES, DEFAULT_SAMPLES_PER_BIN,
            DEFAULT_BEFORE, DEFAULT_AFTER, DEFAULT_RETENTION);
    public static final ContextOptions OFF = DEFAULTS.withEnabled(false);

    public ContextOptions {
        if (topExamples < 1 || topExamples > 200) {
            throw new IllegalArgumentException("--context-examples must be in [1, 200] (got " + topExamples + ")");
        }
        if (samplesPerBin < 0 || samplesPerBin > 50) {
            throw new IllegalArgumentException("samplesPerBin must be in [0, 50] (got " + samplesPerBin + ")");
        }
        if (before < 0 || before > 64 || after < 0 || after > 64) {
            throw new IllegalArgumentException("context window must be 0..64 tokens each side (got " + before + ", " + after + ")");
        }
        if (retention == null || retention.isNegative() || retention.isZero()) {
            throw new IllegalArgumentException("--context-retention must be a positive duration (got " + retention + ")");
        }
    }

    public ContextOptions withEnabled(boolean on) {
        return new ContextOptions(on, topExamples, samplesPerBin, before, after, retention);
    }

    public ContextOptions withRetention(Duration d) {
        return new ContextOptions(enabled, topExamples, samplesPerBin, before, after, d);
    }

    public ContextOptions withTopExamples(int n) {
        return new ContextOptions(enabled, n, samplesPerBin, before, after, retention);
    }

    /** Examples stored per feature at most. */
    public int maxExamples() {
        return topExamples + QUANTILE_BINS * samplesPerBin;
    }

    /**
     * Parses {@code --context-retention}: an ISO-8601 duration ({@code PT12H}, {@code P7D}) or a number with a unit
     * {@code s}, {@code m}, {@code h} or {@code d} ({@code 90m}, {@code 7d}).
     */
    public static Duration parseDuration(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.startsWith("p")) {
                return Duration.parse(t.toUpperCase(Locale.ROOT));
            }
            if (t.length() >= 2) {
                long n = Long.parseLong(t.substring(0, t.length() - 1));
                switch (t.charAt(t.length() - 1)) {
                    case 's': return Duration.ofSeconds(n);
                    case 'm': return Duration.ofMinutes(n);
                    case 'h': return Duration.ofHours(n);
                    case 'd': return Duration.ofDays(n);
                    default: break;
                }
            }
        } catch (RuntimeException e) {
            // falls through to the message naming the flag
        }
        throw new IllegalArgumentException("--context-retention must be a duration like 7d, 12h, 90m, 30s or P7D (got '"
                + text + "')");
    }
}
