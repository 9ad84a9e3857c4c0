package dev.livesae.trainer;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Progress snapshots every {@code --progress-every-seconds}: the training rate over the interval, the wall time
 * spent training, and the listeners that receive each {@link TrainerProgress}. Listeners may be added and the
 * latest snapshot read from any thread; reporting happens on the training thread.
 */
final class ProgressReporter {
    private static final Logger log = LoggerFactory.getLogger(ProgressReporter.class);

    /** Builds a snapshot from the service's state. */
    @FunctionalInterface
    interface Source {
        TrainerProgress snapshot(boolean running, double tokensPerSecond, double trainingSeconds);
    }

    private final long everyNanos;
    private final List<Consumer<TrainerProgress>> listeners = new CopyOnWriteArrayList<>();
    private volatile TrainerProgress latest = TrainerProgress.NOT_STARTED;
    private long lastNanos;
    private long tokensAtLast;
    private long trainingStartNanos = -1;
    private long trainingEndNanos = -1;

    ProgressReporter(Duration every) {
        this.everyNanos = every.toNanos();
    }

    void listen(Consumer<TrainerProgress> listener) {
        listeners.add(listener);
    }

    TrainerProgress latest() {
        return latest;
    }

    /** Starts the interval clock now, from {@code trainedTokens}. */
    void startClock(long trainedTokens) {
        lastNanos = System.nanoTime();
        tokensAtLast = trainedTokens;
    }

    /** The first record is about to be trained (only the first call counts). */
    void trainingStarted() {
        if (trainingStartNanos < 0) {
            trainingStartNanos = System.nanoTime();
        }
    }

    void trainingEnded() {
        trainingEndNanos = System.nanoTime();
    }

    /** Wall time from the first trained record to now (or to {@link #trainingEnded}). */
    double trainingSeconds() {
        long end = trainingEndNanos >= 0 ? trainingEndNanos : System.nanoTime();
        return trainingStartNanos < 0 ? 0 : (end - trainingStartNanos) / 1e9;
    }

    /** Reports a running snapshot when the interval has passed. */
    void maybeReport(long trainedTokens, Source source) {
        long now = System.nanoTime();
        long dt = now - lastNanos;
        if (dt < everyNanos) {
            return;
        }
        double rate = (trainedTokens - tokensAtLast) * 1e9 / dt;
        lastNanos = now;
        tokensAtLast = trainedTokens;
        report(source.snapshot(true, rate, trainingSeconds()));
    }

    void report(TrainerProgress p) {
        latest = p;
        for (Consumer<TrainerProgress> l : listeners) {
            try {
                l.accept(p);
            } catch (RuntimeException e) {
                log.warn("progress listener failed", e);
            }
        }
    }
}
