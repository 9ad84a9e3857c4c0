package dev.livesae.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

class TopActivationsTest {
    // two sequences: 10 = tokens [100 101 102 103], 11 = tokens [200 201]; k = 2
    private static final long[] SEQ = {10, 10, 10, 10, 11, 11};
    private static final int[] POS = {0, 1, 2, 3, 0, 1};
    private static final int[] TOK = {100, 101, 102, 103, 200, 201};
    private static final int[] IDX = {
            3, 1,
            3, 0,
            2, 3,
            1, 0,
            3, 2,
            1, 4};
    private static final float[] VAL = {
            0.5f, 0.2f,
            2.0f, 0f,
            0.1f, 0.7f,
            0.9f, 0f,
            1.5f, 0.3f,
            0.4f, 0f};

    @Test
    void ranksLatentsByFiringCountIgnoringZeroSlots() {
        TopActivations top = new TopActivations(5, 2, 1000);
        top.accept(SEQ, POS, TOK, IDX, VAL, 2);
        List<TopActivations.Feature> f = top.mostFrequent(10);
        // latent 3 fires 4 times, latent 1 three times, latent 2 twice; 0 and 4 only in zero-valued slots
        assertThat(f).extracting(TopActivations.Feature::latent).containsExactly(3, 1, 2);
        assertThat(f.get(0).fires()).isEqualTo(4);
        assertThat(f.get(0).meanValue()).isCloseTo((0.5 + 2.0 + 0.7 + 1.5) / 4, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(top.tokens()).isEqualTo(6);
    }

    @Test
    void keepsTheStrongestExamplesPerLatent() {
        TopActivations top = new TopActivations(5, 2, 1000);
        top.accept(SEQ, POS, TOK, IDX, VAL, 2);
        assertThat(top.feature(3).examples()).containsExactly(
                new TopActivations.Example(2.0f, 10, 1), new TopActivations.Example(1.5f, 11, 0));
    }

    @Test
    void findsStrongestFeaturesWithinADensityBand() {
        TopActivations top = new TopActivations(5, 2, 1000);
        top.accept(SEQ, POS, TOK, IDX, VAL, 2);
        // densities over 6 tokens: latent 3 -> 4/6, latent 1 -> 3/6, latent 2 -> 2/6
        assertThat(top.strongestSpecific(5, 0.0, 0.5)).extracting(TopActivations.Feature::latent).containsExactly(1, 2);
        assertThat(top.strongestSpecific(1, 0.0, 1.0)).extracting(TopActivations.Feature::latent).containsExactly(3);
        assertThat(top.strongestSpecific(5, 0.9, 1.0)).isEmpty();
    }

    @Test
    void returnsClippedContextAroundAnExample() {
        TopActivations top = new TopActivations(5, 2, 1000);
        top.accept(SEQ, POS, TOK, IDX, VAL, 2);
        assertThat(top.context(10, 1, 1, 5)).containsExactly(100, 101, 102, 103);
        assertThat(top.context(11, 0, 3, 0)).containsExactly(200);
        assertThat(top.context(99, 0, 3, 3)).isEmpty();
    }

    @Test
    void stopsRecordingNewSequencesPastTheTokenBudgetButStillCounts() {
        TopActivations top = new TopActivations(5, 4, 4);
        top.accept(SEQ, POS, TOK, IDX, VAL, 2);
        assertThat(top.context(11, 0, 0, 1)).isEmpty();
        assertThat(top.feature(3).fires()).isEqualTo(4);
        assertThat(top.feature(3).examples()).extracting(TopActivations.Example::sequenceId).containsOnly(10L);
    }

    @Test
    void rejectsLatentOutsideDictionary() {
        TopActivations top = new TopActivations(2, 2, 10);
        assertThatThrownBy(() -> top.accept(new long[] {1}, new int[] {0}, null, new int[] {7}, new float[] {1f}, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("7");
    }
}
