package dev.livesae.trainer;

/** What the trainer does when it falls behind the head of the topic. */
public enum CatchUpPolicy {
    /** Train on every record; lag may grow without bound. */
    ALL,
    /** When lag exceeds {@code --max-lag} records, seek towards the head and record the skipped ranges. */
    LATEST;

    /** Parses the flag value ({@code all} / {@code latest}, any case). */
    public static CatchUpPolicy parse(String s) {
        for (CatchUpPolicy p : values()) {
            if (p.name().equalsIgnoreCase(s)) {
                return p;
            }
        }
        throw new IllegalArgumentException("--catch-up must be all or latest (got " + s + ")");
    }
}
