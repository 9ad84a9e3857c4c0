package dev.livesae.producer;

/**
 * Totals of one publisher since it started. {@code acceptedRows = ackedRows + rows in failed batches +
 * rows still buffered}; {@code droppedRows} were never accepted.
 */
public record PublisherStats(long acceptedRows, long ackedRows, long ackedBytes, long ackedBatches, long droppedRows,
                             long failedBatches, long bufferedBytes) {
}
