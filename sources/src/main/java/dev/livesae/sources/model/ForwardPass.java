package dev.livesae.sources.model;

import dev.livesae.producer.ActivationPublisher;
import java.util.Map;
import java.util.Objects;

/**
 * The result of one batched forward pass over several texts, padding removed. Row r is token
 * {@code positions[r]} (0 = [CLS]) of text {@code sequenceIndex[r]} (index into the texts passed in)
 * with token id {@code tokenIds[r]}; every block in {@code blocks} (keyed by hookpoint name) has the
 * same rows in the same order.
 */
public record ForwardPass(int sequences, int[] sequenceIndex, int[] positions, int[] tokenIds, Map<String, ActivationBlock> blocks) {
    public ForwardPass {
        Objects.requireNonNull(sequenceIndex, "sequenceIndex");
        Objects.requireNonNull(positions, "positions");
        Objects.requireNonNull(tokenIds, "tokenIds");
        blocks = Map.copyOf(blocks);
        int rows = sequenceIndex.length;
        if (positions.length != rows || tokenIds.length != rows) {
            throw new IllegalArgumentException("ForwardPass: sequenceIndex, positions and tokenIds lengths differ ("
                    + rows + ", " + positions.length + ", " + tokenIds.length + ")");
        }
        for (ActivationBlock b : blocks.values()) {
            if (b.rows() != rows) {
                throw new IllegalArgumentException("ForwardPass: block " + b.hookpoint().name() + " has " + b.rows()
                        + " rows, expected " + rows);
            }
        }
    }

    public int rows() {
        return sequenceIndex.length;
    }

    public ActivationBlock block(String hookpoint) {
        ActivationBlock b = blocks.get(hookpoint);
        if (b == null) {
            throw new IllegalArgumentException("hookpoint " + hookpoint + " was not captured (captured: " + blocks.keySet() + ")");
        }
        return b;
    }

    /**
     * Publishes every captured hookpoint of this pass, each text under a fresh sequence id drawn from the
     * publisher (consecutive in text order), with positions and token ids.
     *
     * @return the sequence id of the pass's first text; the i-th text has that id + i (rows dropped under
     *     DROP are counted in the publisher's stats)
     */
    public long publishTo(ActivationPublisher publisher) {
        long first = publisher.sequenceIds().next(sequences);
        long[] seq = new long[rows()];
        for (int r = 0; r < seq.length; r++) {
            seq[r] = first + sequenceIndex[r];
        }
        for (ActivationBlock block : blocks.values()) {
            publisher.publish(block.hookpoint().name(), seq, positions, tokenIds, block.values());
        }
        return first;
    }
}
