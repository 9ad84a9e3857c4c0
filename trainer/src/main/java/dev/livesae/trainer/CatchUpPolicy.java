package dev.livesae.trainer;

/** What the trainer does when it falls behind the head of the topic. */
public enum CatchUpPolicy {
    /** Train on every record; lag may grow without bound. */
    ALL,
    /** When lag exceeds {@code --max-lag} records, seek towards the head and record the skipped ranges. */
    LATEST;

    /** Parses the flag value ({@code all} / {@code latest}, any case). */
    public static CatchUpPolicy parse(String s) {
        return parseFlag(CatchUpPolicy.class, "--catch-up", s);
    }

    /** The constant of {@code type} named {@code s} in any case, else an error naming the flag and the choices. */
    static <E extends Enum<E>> E parseFlag(Class<E> type, String flag, String s) {
        StringBuilder choices = new StringBuilder();
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(s)) {
                return e;
            }
            choices.append(choices.length() == 0 ? "" : " or ").append(e.name().toLowerCase(java.util.Locale.ROOT));
        }
        throw new IllegalArgumentException(flag + " must be " + choices + " (got " + s + ")");
    }
}
