package dev.livesae.wire;

/**
 * Why a record was rejected. The name travels in the {@code livesae.reject.reason} header of a
 * dead letter and in the {@code reason} tag of {@code livesae.records.rejected}; keep it stable.
 *
 * <p>Constants are declared in the order readers check them (docs/wire-format.md, "Validation and rejection
 * reasons"); a test compares that page's table with this enum.
 */
public enum RejectReason {
    /** Null or empty value; not an Arrow IPC stream; truncated; a length or offset pointing outside the record. */
    UNDECODABLE,
    /** The record value is larger than the consumer's byte cap; checked before any decoding. */
    RECORD_TOO_LARGE,
    /** An Arrow stream, but not the schema named in its metadata, or missing/mistyped columns. */
    WRONG_SCHEMA,
    /** The schema version in the metadata is one this build does not read. */
    UNSUPPORTED_VERSION,
    /** Required schema metadata missing or unparseable (model, hookpoint, d_in, ...). */
    BAD_METADATA,
    /** d_in, d_sae or k in the metadata above the consumer's cap. */
    DIMENSION_TOO_LARGE,
    /** The fixed-size list width disagrees with the metadata or with what the consumer expects. */
    WRONG_WIDTH,
    /** More rows than the consumer's limit (from the record-batch headers, before loading). */
    OVERSIZED,
    /** A batch with no rows where the consumer requires rows. */
    EMPTY_BATCH,
    /** Decoding would allocate more than the byte cap (a compressed body expanding past it, or headers claiming more). */
    DECODED_TOO_LARGE,
    /** Columns of different lengths, or a buffer shorter than its column's length needs. */
    LENGTH_MISMATCH,
    /** A null in a non-nullable column. */
    NULL_VALUE,
    /** The JVM could not allocate the memory to decode this one record ({@link OutOfMemoryError}). */
    OUT_OF_MEMORY,
    /** NaN or infinity in a float column. */
    NON_FINITE,
    /** A latent index outside [0, d_sae). */
    INDEX_OUT_OF_RANGE,
    /** Decodable, but of a shape the consumer cannot use (e.g. a different model or hookpoint). */
    UNEXPECTED_SHAPE,
    /** The monitor already tracks its cap of SAEs; a record of another SAE creates no state and no series. */
    TOO_MANY_SAES,
    /** The training step on this batch produced a non-finite loss. */
    NON_FINITE_LOSS
}
