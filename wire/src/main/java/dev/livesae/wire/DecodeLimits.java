package dev.livesae.wire;

/**
 * What a consumer accepts beyond the schema itself.
 *
 * @param maxRows     batches with more rows are {@link RejectReason#OVERSIZED}
 * @param allowEmpty  whether a zero-row batch is accepted ({@link RejectReason#EMPTY_BATCH} otherwise)
 * @param expectedDIn the activation width the consumer requires, 0 for any ({@link RejectReason#WRONG_WIDTH})
 */
public record DecodeLimits(int maxRows, boolean allowEmpty, int expectedDIn) {
    public static final int DEFAULT_MAX_ROWS = 65_536;

    public DecodeLimits {
        if (maxRows < 1) {
            throw new IllegalArgumentException("maxRows must be >= 1 (got " + maxRows + ")");
        }
        if (expectedDIn < 0) {
            throw new IllegalArgumentException("expectedDIn must be >= 0, 0 meaning any (got " + expectedDIn + ")");
        }
    }

    public DecodeLimits(int maxRows, boolean allowEmpty) {
        this(maxRows, allowEmpty, 0);
    }

    public static DecodeLimits defaults() {
        return new DecodeLimits(DEFAULT_MAX_ROWS, true, 0);
    }
}
