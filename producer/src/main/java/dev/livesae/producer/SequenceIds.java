package dev.livesae.producer;

import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sequence ids unique per producer run: {@code (producerId << 47) | counter}, with a 16-bit producer id
 * (random per run unless given) in bits 47..62, a 47-bit counter starting at 0 in bits 0..46 and the sign
 * bit always 0, so ids are non-negative. Two runs collide only if they draw the same producer id
 * (probability 1/65536 per pair) and both publish the same counter values. Thread-safe.
 */
public final class SequenceIds {
    public static final int COUNTER_BITS = 47;
    public static final long MAX_COUNTER = (1L << COUNTER_BITS) - 1;

    private final int producerId;
    private final AtomicLong counter = new AtomicLong();

    public SequenceIds(int producerId) {
        if (producerId < 0 || producerId > 0xFFFF) {
            throw new IllegalArgumentException("producerId must be in [0, 65535] (got " + producerId + ")");
        }
        this.producerId = producerId;
    }

    /** A random 16-bit producer id. */
    public static int randomProducerId() {
        return new SecureRandom().nextInt(0x10000);
    }

    public int producerId() {
        return producerId;
    }

    /** The first of {@code n} consecutive fresh ids. */
    public long next(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1 (got " + n + ")");
        }
        long first = counter.getAndAdd(n);
        if (first + n - 1 > MAX_COUNTER) {
            throw new IllegalStateException("sequence counter exhausted for producer " + producerId);
        }
        return ((long) producerId << COUNTER_BITS) | first;
    }

    public long next() {
        return next(1);
    }

    /** The producer id encoded in a sequence id. */
    public static int producerIdOf(long sequenceId) {
        return (int) (sequenceId >>> COUNTER_BITS);
    }

    /** How many ids have been handed out. */
    public long issued() {
        return counter.get();
    }
}
