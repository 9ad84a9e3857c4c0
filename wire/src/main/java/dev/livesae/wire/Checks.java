package dev.livesae.wire;

/** Argument checks shared by the wire records; messages name the field and the value. */
final class Checks {
    private Checks() {}

    static void text(String field, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(field + " must be non-blank (got " + (value == null ? "null" : "'" + value + "'") + ")");
        }
    }

    static void length(String field, int actual, long expected) {
        if (actual != expected) {
            throw new IllegalArgumentException(field + " has length " + actual + ", expected " + expected);
        }
    }

    static <T> T notNull(String field, T value) {
        if (value == null) {
            throw new IllegalArgumentException(field + " must not be null");
        }
        return value;
    }
}
