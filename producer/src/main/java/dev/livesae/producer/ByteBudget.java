package dev.livesae.producer;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The publisher's bound on memory: bytes of rows accepted and not yet acknowledged (or failed) by Kafka never
 * exceed {@code maxBytes}, except that one reservation is always admitted into an empty budget. When a
 * reservation does not fit, {@link OnFull#BLOCK} waits for releases and {@link OnFull#DROP} refuses it.
 */
final class ByteBudget {
    private final long maxBytes;
    private final OnFull onFull;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition freed = lock.newCondition();
    private long used; // guarded by lock
    private int waiting; // guarded by lock

    ByteBudget(long maxBytes, OnFull onFull) {
        this.maxBytes = maxBytes;
        this.onFull = onFull;
    }

    /**
     * Takes {@code bytes} from the budget.
     *
     * @param beforeWait runs (under the lock) before each wait, e.g. to seal partial batches so their bytes
     *                   can be released sooner
     * @param afterWake  runs after each wake-up, e.g. to fail if the publisher was closed meanwhile
     * @return false if DROP and the bytes do not fit
     */
    boolean reserve(long bytes, Runnable beforeWait, Runnable afterWake) {
        lock.lock();
        try {
            while (used > 0 && used + bytes > maxBytes) {
                if (onFull == OnFull.DROP) {
                    return false;
                }
                waiting++;
                try {
                    beforeWait.run();
                    freed.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for publisher buffer space", e);
                } finally {
                    waiting--;
                }
                afterWake.run();
            }
            used += bytes;
            return true;
        } finally {
            lock.unlock();
        }
    }

    void release(long bytes) {
        lock.lock();
        try {
            used -= bytes;
            freed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Wakes every waiting reservation (they re-check their condition). */
    void wakeAll() {
        lock.lock();
        try {
            freed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Waits until nothing is reserved; false if that did not happen within {@code timeout}. */
    boolean awaitEmpty(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (used > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                freed.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lock.unlock();
        }
    }

    long bufferedBytes() {
        lock.lock();
        try {
            return used;
        } finally {
            lock.unlock();
        }
    }

    int waiting() {
        lock.lock();
        try {
            return waiting;
        } finally {
            lock.unlock();
        }
    }
}
