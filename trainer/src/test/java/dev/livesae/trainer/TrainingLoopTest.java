package dev.livesae.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.livesae.engine.Sae;
import dev.livesae.engine.SaeConfig;
import dev.livesae.wire.ActivationBatch;

class TrainingLoopTest {
    static final int ROWS = 96;
    static final int BATCH = 128;
    static final int BUFFER = 512;

    static SaeConfig config(long seed) {
        return new SaeConfig(Synthetic.D, Synthetic.N, Synthetic.K, Synthetic.D / 2, 100_000, 1f / 32, 2e-3f, 5, 0f,
                0, 0, true, seed);
    }

    static List<ActivationBatch> batches(int count) {
        Synthetic data = new Synthetic("synthetic", "layer0", 5L);
        List<ActivationBatch> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(data.next(ROWS));
        }
        return out;
    }

    static TrainingLoop fresh(List<ActivationBatch> data, long shuffleSeed) {
        ActivationBatch first = data.get(0);
        return TrainingLoop.create(config(11L), BATCH, BUFFER, shuffleSeed, first.activations(), ROWS);
    }

    static void feed(TrainingLoop loop, List<ActivationBatch> data, int from, int to) {
        for (ActivationBatch b : data.subList(from, to)) {
            loop.offer(b.activations(), b.sequenceIds(), b.positions(), b.rows());
        }
    }

    static boolean sameWeights(Sae a, Sae b) {
        for (int i = 0; i < a.dSae(); i++) {
            if (!java.util.Arrays.equals(a.decoderRow(i), b.decoderRow(i))
                    || !java.util.Arrays.equals(a.encoderRow(i), b.encoderRow(i))) {
                return false;
            }
        }
        return java.util.Arrays.equals(a.encoderBias(), b.encoderBias())
                && java.util.Arrays.equals(a.decoderBias(), b.decoderBias());
    }

    static TokenLedger ledgerOf(List<ActivationBatch> data) {
        TokenLedger.Builder l = new TokenLedger.Builder();
        for (ActivationBatch b : data) {
            for (int r = 0; r < b.rows(); r++) {
                l.add(b.sequenceIds()[r], b.positions()[r]);
            }
        }
        return l.build();
    }

    @Test
    void sameBatchesInSameOrderGiveBitIdenticalWeights() {
        List<ActivationBatch> data = batches(30);
        try (TrainingLoop a = fresh(data, 3L); TrainingLoop b = fresh(data, 3L); TrainingLoop c = fresh(data, 4L)) {
            feed(a, data, 0, data.size());
            feed(b, data, 0, data.size());
            feed(c, data, 0, data.size());
            assertThat(a.trainer().step()).isEqualTo(ROWS * 30 / BATCH - BUFFER / BATCH);
            assertThat(sameWeights(a.trainer().snapshot(), b.trainer().snapshot())).isTrue();
            assertThat(a.trained()).isEqualTo(b.trained());
            // a different shuffle seed mixes rows differently, so the weights differ: the check above can fail
            assertThat(sameWeights(a.trainer().snapshot(), c.trainer().snapshot())).isFalse();
        }
    }

    @Test
    void resumingFromWrittenStateMatchesAnUninterruptedRun(@TempDir Path dir) throws Exception {
        List<ActivationBatch> data = batches(30);
        try (TrainingLoop whole = fresh(data, 3L)) {
            feed(whole, data, 0, 30);
            TokenLedger consumed;
            TokenLedger trained;
            TokenLedger skipped;
            try (TrainingLoop first = fresh(data, 3L)) {
                feed(first, data, 0, 13); // stops mid-minibatch with a full shuffle buffer
                assertThat(first.pendingRows()).isGreaterThan(BUFFER);
                first.writeInto(dir, "synthetic", "layer0");
                consumed = first.consumed();
                trained = first.trained();
                skipped = first.skippedStep();
            }
            try (TrainingLoop resumed = TrainingLoop.restore(dir, consumed, trained, skipped, 0)) {
                feed(resumed, data, 13, 30);
                assertThat(resumed.trainer().step()).isEqualTo(whole.trainer().step());
                assertThat(sameWeights(whole.trainer().snapshot(), resumed.trainer().snapshot())).isTrue();
                assertThat(resumed.trained()).isEqualTo(whole.trained());
                assertThat(resumed.consumed()).isEqualTo(ledgerOf(data));
            }
        }
    }

    @Test
    void drainTrainsEveryConsumedRowExactlyOnce() {
        List<ActivationBatch> data = batches(17);
        try (TrainingLoop loop = fresh(data, 9L)) {
            feed(loop, data, 0, 17);
            assertThat(loop.pendingRows()).isPositive();
            assertThat(loop.trained()).isNotEqualTo(ledgerOf(data));
            loop.drain();
            assertThat(loop.pendingRows()).isZero();
            assertThat(loop.trained()).isEqualTo(ledgerOf(data));
            assertThat(loop.trainer().tokensSeen()).isEqualTo(17L * ROWS);
        }
    }

    @Test
    void stepWithNonFiniteLossIsSkippedAndLeavesWeightsUntouched() {
        List<ActivationBatch> data = batches(4);
        ActivationBatch first = data.get(0);
        try (TrainingLoop loop = TrainingLoop.create(config(11L), ROWS, 0, 1L, first.activations(), ROWS)) {
            feed(loop, data, 0, 4);
            Sae before = loop.trainer().snapshot();
            TokenLedger trainedBefore = loop.trained();
            // finite inputs whose squares overflow float: the loss is +Inf
            float[] huge = new float[ROWS * Synthetic.D];
            java.util.Arrays.fill(huge, 3e30f);
            long[] seq = new long[ROWS];
            int[] pos = new int[ROWS];
            java.util.Arrays.fill(seq, 999L);
            for (int r = 0; r < ROWS; r++) {
                pos[r] = r;
            }
            loop.offer(huge, seq, pos, ROWS);
            assertThat(loop.last().skipped()).isTrue();
            assertThat(loop.skippedSteps()).isEqualTo(1);
            assertThat(loop.skippedStep().count()).isEqualTo(ROWS);
            assertThat(loop.trained()).isEqualTo(trainedBefore);
            assertThat(sameWeights(before, loop.trainer().snapshot())).isTrue();
            // training goes on afterwards
            ActivationBatch more = new Synthetic("synthetic", "layer0", 77L).next(ROWS);
            loop.offer(more.activations(), more.sequenceIds(), more.positions(), ROWS);
            assertThat(loop.last().skipped()).isFalse();
            assertThat(sameWeights(before, loop.trainer().snapshot())).isFalse();
        }
    }
}
