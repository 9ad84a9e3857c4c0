package dev.livesae.wire;

/**
 * What a consumer accepts beyond the schema itself: the caps that bound what one record can make a reader
 * allocate. Every size a record states (its byte length, d_in, d_sae, k, rows, buffer lengths, decompressed
 * lengths) is checked against these before anything is sized by it.
 *
 * @param maxRows        batches with more rows (summed over the stream's record batches) are {@link RejectReason#OVERSIZED}
 * @param allowEmpty     whether a zero-row batch is accepted ({@link RejectReason#EMPTY_BATCH} otherwise)
 * @param expectedDIn    the activation width the consumer requires, 0 for any ({@link RejectReason#WRONG_WIDTH})
 * @param maxRecordBytes cap on the record value's length ({@link RejectReason#RECORD_TOO_LARGE}) and on what decoding
 *                       it may allocate, decompressed buffers included ({@link RejectReason#DECODED_TOO_LARGE})
 * @param maxDIn         cap on {@code livesae.d_in} ({@link RejectReason#DIMENSION_TOO_LARGE})
 * @param maxDSae        cap on {@code livesae.d_sae} of a code batch ({@link RejectReason#DIMENSION_TOO_LARGE})
 * @param maxK           cap on {@code livesae.k} of a code batch ({@link RejectReason#DIMENSION_TOO_LARGE})
 */
public record DecodeLimits(int maxRows, boolean allowEmpty, int expectedDIn, long maxRecordBytes, int maxDIn,
                           int maxDSae, int maxK) {
    public static final int DEFAULT_MAX_ROWS = 65_536;
    /** 256 MiB: a 65,536-row batch of d_in = 1,024 float32 activations is 256 MiB. */
    public static final long DEFAULT_MAX_RECORD_BYTES = 256L << 20;
    /** Wider than any residual stream of a published model (16,384 for the largest). */
    public static final int DEFAULT_MAX_D_IN = 65_536;
    /** 2^20 latents: the monitor's state of one such SAE is ~40 MB, inside its 64 MB state-store record. */
    public static final int DEFAULT_MAX_D_SAE = 1 << 20;
    public static final int DEFAULT_MAX_K = 4_096;
    /** Upper bound of {@link #maxRecordBytes}: Java arrays and Arrow buffers index with int. */
    public static final long MAX_RECORD_BYTES_LIMIT = 1L << 30;

    public DecodeLimits {
        if (maxRows < 1) {
            throw new IllegalArgumentException("maxRows must be >= 1 (got " + maxRows + ")");
        }
        if (expectedDIn < 0) {
            throw new IllegalArgumentException("expectedDIn must be >= 0, 0 meaning any (got " + expectedDIn + ")");
        }
        if (maxRecordBytes < 1024 || maxRecordBytes > MAX_RECORD_BYTES_LIMIT) {
            throw new IllegalArgumentException("maxRecordBytes must be in [1024, " + MAX_RECORD_BYTES_LIMIT + "] (got "
                    + maxRecordBytes + ")");
        }
        if (maxDIn < 1) {
            throw new IllegalArgumentException("maxDIn must be >= 1 (got " + maxDIn + ")");
        }
        if (maxDSae < 1) {
            throw new IllegalArgumentException("maxDSae must be >= 1 (got " + maxDSae + ")");
        }
        if (maxK < 1) {
            throw new IllegalArgumentException("maxK must be >= 1 (got " + maxK + ")");
        }
    }

    public DecodeLimits(int maxRows, boolean allowEmpty, int expectedDIn) {
        this(maxRows, allowEmpty, expectedDIn, DEFAULT_MAX_RECORD_BYTES, DEFAULT_MAX_D_IN, DEFAULT_MAX_D_SAE, DEFAULT_MAX_K);
    }

    public DecodeLimits(int maxRows, boolean allowEmpty) {
        this(maxRows, allowEmpty, 0);
    }

    public static DecodeLimits defaults() {
        return new DecodeLimits(DEFAULT_MAX_ROWS, true, 0);
    }

    public DecodeLimits withMaxRows(int rows) {
        return new DecodeLimits(rows, allowEmpty, expectedDIn, maxRecordBytes, maxDIn, maxDSae, maxK);
    }

    public DecodeLimits withAllowEmpty(boolean allow) {
        return new DecodeLimits(maxRows, allow, expectedDIn, maxRecordBytes, maxDIn, maxDSae, maxK);
    }

    public DecodeLimits withExpectedDIn(int dIn) {
        return new DecodeLimits(maxRows, allowEmpty, dIn, maxRecordBytes, maxDIn, maxDSae, maxK);
    }

    public DecodeLimits withMaxRecordBytes(long bytes) {
        return new DecodeLimits(maxRows, allowEmpty, expectedDIn, bytes, maxDIn, maxDSae, maxK);
    }

    /** Caps on the metadata's dimensions. */
    public DecodeLimits withMaxDimensions(int dIn, int dSae, int k) {
        return new DecodeLimits(maxRows, allowEmpty, expectedDIn, maxRecordBytes, dIn, dSae, k);
    }
}
