package dev.livesae.trainer;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import dev.livesae.engine.Architecture;
import dev.livesae.engine.SaeConfig;
import dev.livesae.engine.SaeTrainer;
import dev.livesae.engine.StepResult;

/**
 * Rows in, engine steps out: offered rows pass through the {@link ShuffleBuffer} into a minibatch of
 * {@code batch} rows, and every full minibatch is one {@link SaeTrainer#step}. Keeps the token ledgers
 * (consumed, trained, in skipped steps) that make exactly-once checkable. No Kafka here, so the same loop
 * serves the service, the benchmark's in-memory baseline and the determinism tests.
 *
 * <p>Invariant between calls: {@code consumed = trained + skippedStep + buffered + pending minibatch}.
 * Not thread-safe: one training thread owns it.
 */
public final class TrainingLoop implements AutoCloseable {
    static final String ENGINE_DIR = "engine";
    static final String BUFFER_FILE = "buffer.bin";

    /** Called after every engine step (successful or skipped). */
    @FunctionalInterface
    public interface StepListener {
        void afterStep(StepResult result, int rows, long nanos);
    }

    private final SaeTrainer trainer;
    private final ShuffleBuffer buffer;
    private final RowBlock minibatch;
    private final TokenLedger.Builder consumed;
    private final TokenLedger.Builder trained;
    private final TokenLedger.Builder skippedStep;
    private long skippedSteps;
    private StepResult last;
    private StepListener listener = (r, n, t) -> { };
    private SkippedBatchListener skippedListener = (step, x, seq, pos, rows) -> { };
    private final ShuffleBuffer.RowSink toMinibatch = this::addToMinibatch;

    private TrainingLoop(SaeTrainer trainer, ShuffleBuffer buffer, RowBlock minibatch, TokenLedger consumed,
                         TokenLedger trained, TokenLedger skippedStep, long skippedSteps) {
        this.trainer = trainer;
        this.buffer = buffer;
        this.minibatch = minibatch;
        this.consumed = new TokenLedger.Builder(consumed);
        this.trained = new TokenLedger.Builder(trained);
        this.skippedStep = new TokenLedger.Builder(skippedStep);
        this.skippedSteps = skippedSteps;
    }

    /**
     * A fresh loop: the SAE is initialised from {@code firstSample} ({@code [rows, dIn]}, the first accepted
     * batch), the shuffle buffer is seeded with {@code shuffleSeed}.
     */
    public static TrainingLoop create(SaeConfig cfg, int batch, int shuffleBuffer, long shuffleSeed,
                                      float[] firstSample, int rows) {
        return create(cfg, Architecture.TOPK, batch, shuffleBuffer, shuffleSeed, firstSample, rows);
    }

    /** As {@link #create(SaeConfig, int, int, long, float[], int)} with the given architecture. */
    public static TrainingLoop create(SaeConfig cfg, Architecture arch, int batch, int shuffleBuffer, long shuffleSeed,
                                      float[] firstSample, int rows) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be >= 1 (got " + batch + ")");
        }
        SaeTrainer trainer = SaeTrainer.create(cfg, arch, firstSample, rows);
        return new TrainingLoop(trainer, new ShuffleBuffer(cfg.dIn(), shuffleBuffer, shuffleSeed),
                new RowBlock(cfg.dIn(), batch), TokenLedger.EMPTY, TokenLedger.EMPTY, TokenLedger.EMPTY, 0);
    }

    /** Restores a loop written by {@link #writeInto}; ledgers come from the checkpoint's state. */
    public static TrainingLoop restore(Path dir, TokenLedger consumed, TokenLedger trained, TokenLedger skippedStep,
                                       long skippedSteps) throws IOException {
        SaeTrainer trainer = SaeTrainer.load(dir.resolve(ENGINE_DIR));
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(
                Files.newInputStream(dir.resolve(BUFFER_FILE)), 1 << 16))) {
            ShuffleBuffer buffer = ShuffleBuffer.readFrom(in);
            RowBlock minibatch = RowBlock.readFrom(in);
            return new TrainingLoop(trainer, buffer, minibatch, consumed, trained, skippedStep, skippedSteps);
        } catch (IOException | RuntimeException e) {
            trainer.close();
            throw e;
        }
    }

    /** Called with the rows of a step skipped for a non-finite loss, before they are dropped. */
    @FunctionalInterface
    public interface SkippedBatchListener {
        /** {@code x} is {@code [rows, dIn]}; the arrays are only valid during the call. */
        void skipped(long step, float[] x, long[] sequenceIds, int[] positions, int rows);
    }

    public void listener(StepListener l) {
        this.listener = l;
    }

    public void skippedListener(SkippedBatchListener l) {
        this.skippedListener = l;
    }

    /** Offers {@code rows} rows of {@code x} ({@code [rows, dIn]}); trains every minibatch that fills. */
    public void offer(float[] x, long[] sequenceIds, int[] positions, int rows) {
        int d = buffer.dIn();
        if (x.length < (long) rows * d || sequenceIds.length < rows || positions.length < rows) {
            throw new IllegalArgumentException("x must hold rows*dIn = " + rows + "*" + d + " values (got "
                    + x.length + ")");
        }
        for (int r = 0; r < rows; r++) {
            consumed.add(sequenceIds[r], positions[r]);
            buffer.offer(x, r * d, sequenceIds[r], positions[r], toMinibatch);
        }
    }

    /** Trains every buffered row: drains the shuffle buffer, then steps on the last partial minibatch. */
    public void drain() {
        buffer.drain(toMinibatch);
        if (minibatch.size() > 0) {
            step();
        }
    }

    private void addToMinibatch(float[] src, int off, long seq, int pos) {
        minibatch.add(src, off, seq, pos);
        if (minibatch.isFull()) {
            step();
        }
    }

    private void step() {
        int rows = minibatch.size();
        float[] x = rows == minibatch.capacity() ? minibatch.data() : Arrays.copyOf(minibatch.data(), rows * minibatch.dIn());
        long t0 = System.nanoTime();
        StepResult r = trainer.step(x, rows);
        long nanos = System.nanoTime() - t0;
        TokenLedger.Builder ledger = r.skipped() ? skippedStep : trained;
        for (int i = 0; i < rows; i++) {
            ledger.add(minibatch.sequenceId(i), minibatch.position(i));
        }
        if (r.skipped()) {
            skippedSteps++;
            long[] seq = new long[rows];
            int[] pos = new int[rows];
            for (int i = 0; i < rows; i++) {
                seq[i] = minibatch.sequenceId(i);
                pos[i] = minibatch.position(i);
            }
            skippedListener.skipped(r.step(), x, seq, pos, rows);
        }
        minibatch.clear();
        last = r;
        listener.afterStep(r, rows, nanos);
    }

    /** Writes the engine state ({@code engine/}) and the buffered rows ({@code buffer.bin}) into {@code dir}. */
    public void writeInto(Path dir, String model, String hookpoint) throws IOException {
        trainer.save(dir.resolve(ENGINE_DIR), model, hookpoint);
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
                Files.newOutputStream(dir.resolve(BUFFER_FILE)), 1 << 16))) {
            buffer.writeTo(out);
            minibatch.writeTo(out);
        }
    }

    /**
     * Copies up to {@code max} rows that were consumed but not trained yet (the shuffle buffer in slot order, then
     * the partial minibatch) into {@code out} ({@code [max, dIn]}) and returns how many. These are the held-out
     * rows of the core metrics: no training step has seen them when the dictionary is evaluated. The buffer is
     * part of the checkpoint, so the selection is the same after a restart.
     */
    public int untrainedRows(float[] out, int max) {
        int d = buffer.dIn();
        int[] n = {0};
        buffer.forEachBuffered((src, off, seq, pos) -> {
            if (n[0] < max) {
                System.arraycopy(src, off, out, n[0]++ * d, d);
            }
        });
        for (int i = 0; i < minibatch.size() && n[0] < max; i++) {
            System.arraycopy(minibatch.data(), i * d, out, n[0]++ * d, d);
        }
        return n[0];
    }

    public SaeTrainer trainer() { return trainer; }
    public int dIn() { return buffer.dIn(); }
    public int batch() { return minibatch.capacity(); }
    public int shuffleCapacity() { return buffer.capacity(); }
    /** Rows consumed but not yet trained (shuffle buffer + partial minibatch). */
    public int pendingRows() { return buffer.size() + minibatch.size(); }
    public TokenLedger consumed() { return consumed.build(); }
    public TokenLedger trained() { return trained.build(); }
    public TokenLedger skippedStep() { return skippedStep.build(); }
    public long skippedSteps() { return skippedSteps; }
    /** The last step's result, or null before the first step. */
    public StepResult last() { return last; }

    @Override
    public void close() {
        trainer.close();
    }
}
