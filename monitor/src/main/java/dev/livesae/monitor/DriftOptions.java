package dev.livesae.monitor;

/**
 * The drift decision's settings.
 *
 * @param falseAlarmRate  alpha: the probability that a window of stationary traffic is declared drifted
 *                        ({@code --drift-false-alarm-rate})
 * @param baselineWindows 0: each version's baseline is its first {@code --baseline-tokens} tokens (or a pinned one);
 *                        N: the previous N closed windows, a rolling baseline ({@code --drift-baseline-windows})
 * @param movers          latents named in each drift event, those that moved most ({@code --drift-movers})
 */
public record DriftOptions(double falseAlarmRate, int baselineWindows, int movers) {
    public static final double DEFAULT_FALSE_ALARM_RATE = 1e-3;
    public static final int DEFAULT_MOVERS = 10;
    /** The rolling baseline keeps every window's counts in the state store: N x d_sae ints. */
    public static final int MAX_BASELINE_WINDOWS = 100;
    public static final DriftOptions DEFAULTS = new DriftOptions(DEFAULT_FALSE_ALARM_RATE, 0, DEFAULT_MOVERS);

    public DriftOptions {
        if (!(falseAlarmRate > 0.0 && falseAlarmRate <= 0.5)) {
            throw new IllegalArgumentException("--drift-false-alarm-rate must be in (0, 0.5] (got " + falseAlarmRate + ")");
        }
        if (baselineWindows < 0 || baselineWindows > MAX_BASELINE_WINDOWS) {
            throw new IllegalArgumentException("--drift-baseline-windows must be in [0, " + MAX_BASELINE_WINDOWS
                    + "] (got " + baselineWindows + ")");
        }
        if (movers < 0 || movers > 1_000) {
            throw new IllegalArgumentException("--drift-movers must be in [0, 1000] (got " + movers + ")");
        }
    }
}
