package dev.livesae.sources;

import java.util.Objects;

/**
 * Rows read from a replay or synthetic source: {@code activations} row-major [rows, d];
 * {@code sequenceIds} / {@code positions} / {@code tokenIds} as stored in the source, each null when
 * the source has none (the producer then gives every row a fresh sequence id at position 0).
 */
public record RowChunk(int rows, int dIn, float[] activations, long[] sequenceIds, int[] positions, int[] tokenIds) {
    public RowChunk {
        Objects.requireNonNull(activations, "activations");
        if (rows < 0 || dIn < 1 || activations.length != (long) rows * dIn) {
            throw new IllegalArgumentException("RowChunk: activations length " + activations.length + " is not rows " + rows + " x d " + dIn);
        }
        for (Object col : new Object[] {sequenceIds, positions, tokenIds}) {
            int len = col == null ? rows : col instanceof long[] l ? l.length : ((int[]) col).length;
            if (len != rows) {
                throw new IllegalArgumentException("RowChunk: a column has " + len + " entries, expected " + rows);
            }
        }
    }
}
