package dev.livesae.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

class ShuffleBufferTest {
    static final int D = 3;

    /** Row i has values (i, i + 0.5, -i) and provenance (sequence i / 10, position i % 10). */
    static float[] row(int i) {
        return new float[] {i, i + 0.5f, -i};
    }

    record Emitted(long seq, int pos, float first) { }

    static List<Emitted> run(ShuffleBuffer buf, int from, int to) {
        List<Emitted> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            buf.offer(row(i), 0, i / 10, i % 10, (src, off, s, p) -> {
                assertThat(src[off + 1]).isEqualTo(src[off] + 0.5f);
                out.add(new Emitted(s, p, src[off]));
            });
        }
        return out;
    }

    static List<Emitted> drain(ShuffleBuffer buf) {
        List<Emitted> out = new ArrayList<>();
        buf.drain((src, off, s, p) -> out.add(new Emitted(s, p, src[off])));
        return out;
    }

    @Test
    void emitsEveryRowExactlyOnceWithItsProvenance() {
        ShuffleBuffer buf = new ShuffleBuffer(D, 50, 1L);
        List<Emitted> out = run(buf, 0, 500);
        assertThat(out).hasSize(450);
        assertThat(buf.size()).isEqualTo(50);
        out.addAll(drain(buf));
        assertThat(buf.size()).isZero();
        Set<Integer> seen = new HashSet<>();
        for (Emitted e : out) {
            int i = (int) e.first();
            assertThat(seen.add(i)).isTrue();
            assertThat(e.seq()).isEqualTo(i / 10);
            assertThat(e.pos()).isEqualTo(i % 10);
        }
        assertThat(seen).hasSize(500);
    }

    @Test
    void mixesRowsAcrossBatches() {
        ShuffleBuffer buf = new ShuffleBuffer(D, 100, 2L);
        List<Emitted> out = run(buf, 0, 1000);
        long inOrder = 0;
        for (int i = 1; i < out.size(); i++) {
            if (out.get(i).first() == out.get(i - 1).first() + 1) {
                inOrder++;
            }
        }
        assertThat(inOrder).isLessThan(out.size() / 10);
    }

    @Test
    void zeroCapacityPassesRowsThroughInOrder() {
        ShuffleBuffer buf = new ShuffleBuffer(D, 0, 1L);
        List<Emitted> out = run(buf, 0, 20);
        for (int i = 0; i < 20; i++) {
            assertThat(out.get(i).first()).isEqualTo(i);
        }
    }

    @Test
    void sameSeedSameOrderAndOtherSeedOtherOrder() {
        List<Emitted> a = run(new ShuffleBuffer(D, 64, 7L), 0, 400);
        List<Emitted> b = run(new ShuffleBuffer(D, 64, 7L), 0, 400);
        List<Emitted> c = run(new ShuffleBuffer(D, 64, 8L), 0, 400);
        assertThat(a).isEqualTo(b);
        assertThat(a).isNotEqualTo(c);
    }

    @Test
    void restoredBufferContinuesExactlyWhereItStopped() throws Exception {
        ShuffleBuffer whole = new ShuffleBuffer(D, 64, 7L);
        List<Emitted> expected = run(whole, 0, 400);
        expected.addAll(drain(whole));

        ShuffleBuffer first = new ShuffleBuffer(D, 64, 7L);
        List<Emitted> got = run(first, 0, 150);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            first.writeTo(out);
        }
        ShuffleBuffer resumed = ShuffleBuffer.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertThat(resumed.size()).isEqualTo(64);
        got.addAll(run(resumed, 150, 400));
        got.addAll(drain(resumed));
        assertThat(got).isEqualTo(expected);
    }

    @Test
    void splitMixBoundedIntsAreInRangeAndCoverIt() {
        SplitMix64 rng = new SplitMix64(5L);
        int[] counts = new int[7];
        for (int i = 0; i < 7000; i++) {
            counts[rng.nextInt(7)]++;
        }
        for (int c : counts) {
            assertThat(c).isBetween(850, 1150);
        }
    }
}
