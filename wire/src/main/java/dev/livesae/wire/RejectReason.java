package dev.livesae.wire;

/**
 * Why a record was rejected. The name travels in the {@code livesae.reject.reason} header of a
 * dead letter and in the {@code reason} tag of {@code livesae.records.rejected}; keep it stable.
 */
public enum RejectReason {
    /** The bytes are not an Arrow IPC stream (garbage, truncated, too large to allocate). */
    UNDECODABLE,
    /** An Arrow stream, but not the schema named in its metadata, or missing/mistyped columns. */
    WRONG_SCHEMA,
    /** The schema version in the metadata is one this build does not read. */
    UNSUPPORTED_VERSION,
    /** Required schema metadata missing or unparseable (model, hookpoint, d_in, ...). */
    BAD_METADATA,
    /** The fixed-size list width disagrees with the metadata or with what the consumer expects. */
    WRONG_WIDTH,
    /** Columns of different lengths. */
    LENGTH_MISMATCH,
    /** A null in a non-nullable column. */
    NULL_VALUE,
    /** NaN or infinity in a float column. */
    NON_FINITE,
    /** A latent index outside [0, d_sae). */
    INDEX_OUT_OF_RANGE,
    /** A batch with no rows where the consumer requires rows. */
    EMPTY_BATCH,
    /** More rows than the consumer's limit. */
    OVERSIZED,
    /** Decodable, but of a shape the consumer cannot use (e.g. a different model or hookpoint). */
    UNEXPECTED_SHAPE,
    /** The training step on this batch produced a non-finite loss. */
    NON_FINITE_LOSS
}
