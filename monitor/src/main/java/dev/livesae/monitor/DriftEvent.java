package dev.livesae.monitor;

/**
 * One event on {@code telemetry.drift.<model>.<hookpoint>} (schema {@value #SCHEMA}). Null fields do not apply to
 * the event's type.
 *
 * <ul>
 *   <li>{@code BASELINE}: the version's baseline is set ({@code baselineSource}, {@code baselineTokens}).</li>
 *   <li>{@code DRIFT}: a window closed and was compared with the baseline ({@code windowIndex}, {@code psi},
 *       {@code jsBits}; {@code decision}: the calibrated test with its p-value, verdict and the latents that moved
 *       most, null while the window overlaps a first-tokens baseline; {@code consecutiveDetected}: windows in a row
 *       declared drifted, this one included).</li>
 *   <li>{@code REBASE}: the dictionary version changed from {@code previousVersion}; the previous version's
 *       partial window ({@code discardedTokens} tokens) is dropped and a new baseline starts.</li>
 * </ul>
 */
public record DriftEvent(String schema, Type type, String model, String hookpoint, String saeId,
                         long dictionaryVersion, Long previousVersion, Long windowIndex, Double psi, Double jsBits,
                         String baselineSource, Long baselineTokens, Long discardedTokens, long timestampMs,
                         DriftDecision.Result decision, Integer consecutiveDetected) {
    public static final String SCHEMA = "livesae.monitor.drift/1";

    public enum Type { BASELINE, DRIFT, REBASE }

    public DriftEvent {
        if (type == null) {
            throw new IllegalArgumentException("drift event type must be set");
        }
    }

    static DriftEvent baseline(String model, StreamKey key, long version, BaselineSource source, long tokens, long ts) {
        return new DriftEvent(SCHEMA, Type.BASELINE, model, key.hookpoint(), key.saeId(), version, null, null, null,
                null, source.label(), tokens, null, ts, null, null);
    }

    static DriftEvent drift(String model, StreamKey key, long version, long windowIndex, DriftMath.Scores s,
                            BaselineSource source, long baselineTokens, long ts, DriftDecision.Result decision,
                            int consecutiveDetected) {
        return new DriftEvent(SCHEMA, Type.DRIFT, model, key.hookpoint(), key.saeId(), version, null, windowIndex,
                s.psi(), s.jsBits(), source.label(), baselineTokens, null, ts, decision, consecutiveDetected);
    }

    static DriftEvent rebase(String model, StreamKey key, long version, long previousVersion, long discarded, long ts) {
        return new DriftEvent(SCHEMA, Type.REBASE, model, key.hookpoint(), key.saeId(), version, previousVersion,
                null, null, null, null, null, discarded, ts, null, null);
    }
}
