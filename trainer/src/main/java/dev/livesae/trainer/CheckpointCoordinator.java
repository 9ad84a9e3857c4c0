package dev.livesae.trainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import dev.livesae.trainer.checkpoint.CheckpointStore;
import dev.livesae.trainer.checkpoint.TrainerState;

/**
 * When checkpoints are due and what goes into one: the training loop (engine state and buffered rows), the
 * promoted dictionary ({@value #DICTIONARY_DIR}/) and the bookkeeping ({@link TrainerState}), written
 * atomically through a {@link CheckpointStore}. Without a store (encode-only) nothing is written, but the
 * schedule still runs: each due point flushes the outputs.
 */
final class CheckpointCoordinator {
    static final String DICTIONARY_DIR = "dictionary";

    private final CheckpointStore store;
    private final long everyTokens;
    private final long everyNanos;
    private volatile Path last;
    private long written;
    private long nanosWriting;
    private long tokensAtLast;
    private long nanosAtLast;

    /** {@code store} is null in encode-only mode. */
    CheckpointCoordinator(CheckpointStore store, TrainerOptions opts) {
        this.store = store;
        this.everyTokens = opts.checkpointEveryTokens();
        this.everyNanos = opts.checkpointEvery().toNanos();
    }

    /** The newest complete checkpoint to resume from, if any. */
    Optional<Path> latest() throws IOException {
        return store == null ? Optional.empty() : store.latest();
    }

    boolean writes() {
        return store != null;
    }

    /** Resumed from {@code dir}: the count of checkpoints continues from its state. */
    void restored(Path dir, long checkpointsWritten, long trainedTokens) {
        last = dir;
        written = checkpointsWritten;
        tokensAtLast = trainedTokens;
    }

    /** Starts the time schedule now. */
    void startClock() {
        nanosAtLast = System.nanoTime();
    }

    /** True when {@code --checkpoint-every-tokens} or {@code --checkpoint-every-seconds} has passed. */
    boolean due(long trainedTokens) {
        return (everyTokens > 0 && trainedTokens - tokensAtLast >= everyTokens)
                || (everyNanos > 0 && System.nanoTime() - nanosAtLast >= everyNanos);
    }

    /** True when {@code --checkpoint-every-seconds} has passed (encode-only's only schedule). */
    boolean dueByTime() {
        return System.nanoTime() - nanosAtLast >= everyNanos;
    }

    /** Writes one checkpoint atomically and returns its directory. */
    Path write(TrainingLoop loop, Dictionary dictionary, TrainerState state, String model, String hookpoint)
            throws IOException {
        long t0 = System.nanoTime();
        Path dir = store.write(loop.trainer().step(), tmp -> {
            loop.writeInto(tmp, model, hookpoint);
            Path dict = tmp.resolve(DICTIONARY_DIR);
            Files.createDirectories(dict);
            dictionary.sae().save(dict, model, hookpoint, dictionary.metadata());
            state.write(tmp);
        });
        last = dir;
        nanosWriting += System.nanoTime() - t0;
        written++;
        return dir;
    }

    /** A due point was handled (checkpoint written, or outputs flushed): the schedule restarts. */
    void reset(long trainedTokens) {
        tokensAtLast = trainedTokens;
        nanosAtLast = System.nanoTime();
    }

    /** The checkpoint written or resumed last. */
    Optional<Path> last() { return Optional.ofNullable(last); }
    /** Checkpoints of this lineage (those before the last restart included). */
    long written() { return written; }
    /** Wall time this process spent writing checkpoints. */
    double secondsWriting() { return nanosWriting / 1e9; }
}
