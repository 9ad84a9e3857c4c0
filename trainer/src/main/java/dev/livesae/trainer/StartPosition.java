package dev.livesae.trainer;

/** Where a trainer without a checkpoint starts reading each partition. */
public enum StartPosition {
    EARLIEST,
    LATEST;

    public static StartPosition parse(String s) {
        return CatchUpPolicy.parseFlag(StartPosition.class, "--start", s);
    }
}
