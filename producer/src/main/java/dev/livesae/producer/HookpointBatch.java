package dev.livesae.producer;

import dev.livesae.wire.ActivationBatch;
import dev.livesae.wire.ActivationMeta;
import java.util.Arrays;

/**
 * The open batch of one hookpoint: rows are copied in until it holds {@code capacity} rows, then it is sealed
 * into an {@link ActivationBatch}. Not thread safe: the publisher guards every instance with its lock.
 */
final class HookpointBatch {

    final String topic;
    final ActivationMeta meta;
    final int capacity;
    long[] seq;
    int[] pos;
    int[] tok;
    float[] act;
    boolean anyToken;
    int rows;
    long firstRowNanos;

    HookpointBatch(String topic, ActivationMeta meta, int capacity) {
        this.topic = topic;
        this.meta = meta;
        this.capacity = capacity;
        fresh();
    }

    private void fresh() {
        seq = new long[capacity];
        pos = new int[capacity];
        tok = new int[capacity];
        act = new float[capacity * meta.dIn()];
        anyToken = false;
        rows = 0;
    }

    /** Copies up to n rows from offset; returns how many fit. */
    int append(long[] sequenceIds, int[] positions, int[] tokenIds, float[] activations, int offset, int n) {
        int k = Math.min(n, capacity - rows);
        if (rows == 0) {
            firstRowNanos = System.nanoTime();
        }
        System.arraycopy(sequenceIds, offset, seq, rows, k);
        System.arraycopy(positions, offset, pos, rows, k);
        if (tokenIds != null) {
            System.arraycopy(tokenIds, offset, tok, rows, k);
            anyToken = true;
        } else {
            Arrays.fill(tok, rows, rows + k, ActivationBatch.NO_TOKEN);
        }
        int d = meta.dIn();
        System.arraycopy(activations, offset * d, act, rows * d, k * d);
        rows += k;
        return k;
    }

    ActivationPublisher.Sealed seal(long rowBytes) {
        int n = rows;
        ActivationBatch batch = n == capacity
                ? new ActivationBatch(meta, seq, pos, anyToken ? tok : null, act)
                : new ActivationBatch(meta, Arrays.copyOf(seq, n), Arrays.copyOf(pos, n),
                        anyToken ? Arrays.copyOf(tok, n) : null, Arrays.copyOf(act, n * meta.dIn()));
        fresh();
        return new ActivationPublisher.Sealed(topic, batch, n * rowBytes);
    }
}
