package dev.livesae.producer;

/** What {@link ActivationPublisher#publish} does when the buffered bytes would exceed the limit. */
public enum OnFull {
    /** Wait until Kafka has acknowledged enough earlier batches (back-pressure onto the caller). */
    BLOCK,
    /** Return at once without publishing; the rows are counted in {@code livesae.producer.dropped}. */
    DROP;

    public static OnFull parse(String value) {
        for (OnFull f : values()) {
            if (f.name().equalsIgnoreCase(value)) {
                return f;
            }
        }
        throw new IllegalArgumentException("onFull must be block or drop (got " + value + ")");
    }
}
