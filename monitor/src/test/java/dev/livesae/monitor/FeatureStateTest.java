package dev.livesae.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class FeatureStateTest {

    @Test
    void roundTripsThroughStoreBytes() {
        StreamKey key = new StreamKey(Codes.SAE, Codes.HOOK);
        FeatureState s = FeatureState.start(key, Codes.meta(4, 6, 2), 3, 2);
        s.add(Codes.batch(Codes.meta(4, 6, 2), new int[][] {{0, 5}, {5}}, new float[] {0.5f, 0.25f}), 0, 2);
        s.add(Codes.batch(Codes.meta(4, 6, 2), new int[][] {{1}}), 0, 1);
        s.roll();
        s.add(Codes.batch(Codes.meta(4, 6, 2), new int[][] {{2, 3}}, new float[] {0.125f}), 0, 1);

        FeatureState back = FeatureState.fromBytes(s.toBytes());
        assertThat(back.key).isEqualTo(key);
        assertThat(back.model).isEqualTo(Codes.MODEL);
        assertThat(back.version).isEqualTo(4);
        assertThat(back.tokensSeen).isEqualTo(4);
        assertThat(back.windowIndex).isEqualTo(1);
        assertThat(back.windowCounts).containsExactly(0, 0, 1, 1, 0, 0);
        assertThat(back.windowSums).containsExactly(s.windowSums);
        assertThat(back.l0Histogram).containsExactly(0, 0, 1);
        assertThat(back.reconTokens).isEqualTo(1);
        assertThat(back.reconRatios[0]).isEqualTo(0.125f);
        assertThat(back.baselineCounts).containsExactly(1, 0, 0, 0, 0, 2);
        assertThat(back.baselineTokens).isEqualTo(2);
        assertThat(back.lastCounts).containsExactly(1, 1, 0, 0, 0, 2);
        assertThat(back.lastTokens).isEqualTo(3);
        assertThat(back.lastWindowIndex).isZero();
        assertThat(back.lastFired).containsExactly(0, 2, 3, 3, -1, 1);
        assertThat(back.toBytes()).isEqualTo(s.toBytes());
    }

    @Test
    void rejectsUnknownFormat() {
        assertThatThrownBy(() -> FeatureState.fromBytes(new byte[] {9}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("format 9");
    }
}
