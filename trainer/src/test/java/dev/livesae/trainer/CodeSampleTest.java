package dev.livesae.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.livesae.wire.ActivationBatch;

class CodeSampleTest {
    @Test
    void everyOneKeepsTheRecordAsItIs() {
        ActivationBatch b = new Synthetic("m", "h", 1L).next(10);
        assertThat(new CodeSample(1).rows(b, 3, 17)).isSameAs(b);
    }

    @Test
    void keepsEveryNthRowFromAPhaseThatDependsOnPartitionAndOffsetOnly() {
        Synthetic data = new Synthetic("m", "h", 2L);
        CodeSample s = new CodeSample(4);
        Set<Integer> phases = new HashSet<>();
        long kept = 0;
        long total = 0;
        for (long offset = 0; offset < 64; offset++) {
            ActivationBatch b = data.next(37);
            ActivationBatch a = s.rows(b, 1, offset);
            ActivationBatch again = s.rows(b, 1, offset);
            int phase = s.phase(1, offset);
            phases.add(phase);
            assertThat(a.rows()).isBetween(37 / 4, 37 / 4 + 1);
            assertThat(again.positions()).isEqualTo(a.positions());
            for (int j = 0; j < a.rows(); j++) {
                int r = phase + 4 * j;
                assertThat(a.positions()[j]).isEqualTo(b.positions()[r]);
                assertThat(a.sequenceIds()[j]).isEqualTo(b.sequenceIds()[r]);
                assertThat(a.tokenIds()[j]).isEqualTo(b.tokenIds()[r]);
                for (int c = 0; c < b.dIn(); c++) {
                    assertThat(a.activations()[j * b.dIn() + c]).isEqualTo(b.activations()[r * b.dIn() + c]);
                }
            }
            kept += a.rows();
            total += b.rows();
        }
        assertThat(phases).containsExactlyInAnyOrder(0, 1, 2, 3);
        assertThat((double) kept / total).isBetween(0.24, 0.26);
    }

    @Test
    void aRecordShorterThanItsPhaseGivesNoRows() {
        CodeSample s = new CodeSample(8);
        long offset = 0;
        while (s.phase(0, offset) < 3) {
            offset++;
        }
        assertThat(s.rows(new Synthetic("m", "h", 3L).next(2), 0, offset).rows()).isZero();
    }

    @Test
    void rejectsEveryBelowOne() {
        assertThatThrownBy(() -> new CodeSample(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0");
    }
}
