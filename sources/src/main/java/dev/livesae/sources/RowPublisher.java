package dev.livesae.sources;

import dev.livesae.producer.ActivationPublisher;
import dev.livesae.producer.SequenceIds;

/**
 * Publishes {@link RowChunk}s under one hookpoint with sequence ids unique to this run: rows without
 * sequence ids each get a fresh id at position 0; rows with ids keep their grouping (each run of equal
 * consecutive source ids becomes one fresh id) and their positions and token ids.
 */
public final class RowPublisher {
    private final ActivationPublisher publisher;
    private final String hookpoint;
    private final SequenceIds ids;
    private boolean haveLast;
    private long lastSource;
    private long lastFresh;

    public RowPublisher(ActivationPublisher publisher, String hookpoint) {
        this.publisher = publisher;
        this.hookpoint = hookpoint;
        this.ids = publisher.sequenceIds();
    }

    /** @return true if all rows were accepted (false: some dropped under DROP) */
    public boolean publish(RowChunk chunk) {
        int n = chunk.rows();
        if (n == 0) {
            return true;
        }
        long[] seq = new long[n];
        int[] pos = chunk.positions() != null ? chunk.positions() : new int[n];
        if (chunk.sequenceIds() == null) {
            long first = ids.next(n);
            for (int r = 0; r < n; r++) {
                seq[r] = first + r;
            }
        } else {
            for (int r = 0; r < n; r++) {
                long source = chunk.sequenceIds()[r];
                if (!haveLast || source != lastSource) {
                    lastFresh = ids.next();
                    lastSource = source;
                    haveLast = true;
                }
                seq[r] = lastFresh;
            }
        }
        return publisher.publish(hookpoint, seq, pos, chunk.tokenIds(), chunk.activations());
    }
}
