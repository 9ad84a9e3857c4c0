package dev.livesae.trainer;

/** Where a trainer without a checkpoint starts reading each partition. */
public enum StartPosition {
    EARLIEST,
    LATEST;

    public static StartPosition parse(String s) {
        for (StartPosition p : values()) {
            if (p.name().equalsIgnoreCase(s)) {
                return p;
            }
        }
        throw new IllegalArgumentException("--start must be earliest or latest (got " + s + ")");
    }
}
