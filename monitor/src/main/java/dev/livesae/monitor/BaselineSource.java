package dev.livesae.monitor;

/** Where a dictionary version's drift baseline came from. */
public enum BaselineSource {
    /** The first {@code --baseline-tokens} tokens the monitor saw for the version (still filling until complete). */
    FIRST_TOKENS("first-tokens"),
    /** A document on the compacted topic {@code telemetry.baselines}. */
    PINNED_TOPIC("pinned-topic"),
    /** The {@code --baseline-file}. */
    PINNED_FILE("pinned-file"),
    /** The previous {@code --drift-baseline-windows} closed windows, moving with every window. */
    ROLLING("rolling");

    private final String label;

    BaselineSource(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
