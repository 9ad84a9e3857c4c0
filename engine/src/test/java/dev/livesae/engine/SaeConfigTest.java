package dev.livesae.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class SaeConfigTest {

  @Test
  void defaultsFollowGaoEtAl() {
    SaeConfig c = SaeConfig.defaults(768, 24576, 32);
    assertThat(c.kAux()).isEqualTo(384);
    assertThat(c.deadTokensThreshold()).isEqualTo(10_000_000L);
    assertThat(c.auxKCoeff()).isEqualTo(1f / 32);
    assertThat(c.auxK()).isTrue();
    assertThat((double) c.effectiveLr()).isCloseTo(2e-4 / Math.sqrt(24576 / 16384.0), within(1e-9));
    assertThat(SaeConfig.defaults(64, 16384, 8).effectiveLr()).isEqualTo(2e-4f);
  }

  @Test
  void rejectsBadValuesNamingTheField() {
    assertThatThrownBy(() -> SaeConfig.defaults(0, 10, 2)).hasMessageContaining("dIn").hasMessageContaining("got 0");
    assertThatThrownBy(() -> SaeConfig.defaults(8, 10, 11)).hasMessageContaining("k ").hasMessageContaining("got 11");
    assertThatThrownBy(() -> new SaeConfig(8, 10, 2, 4, 0, 0.1f, 0, 0, 0, 0, 0, true, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("deadTokensThreshold");
    assertThatThrownBy(() -> new SaeConfig(8, 10, 2, 4, 5, Float.NaN, 0, 0, 0, 0, 0, true, 1))
        .hasMessageContaining("auxKCoeff");
    assertThatThrownBy(() -> new SaeConfig(8, 10, 2, 4, 5, 0.1f, 0, -1, 0, 0, 0, true, 1))
        .hasMessageContaining("warmupSteps");
    assertThatThrownBy(() -> new SaeConfig(8, 10, 2, 4, 5, 0.1f, 0, 0, 0, -5, 0, true, 1))
        .hasMessageContaining("resampleEveryTokens");
    assertThatThrownBy(() -> new SaeConfig(8, 10, 2, 40, 5, 0.1f, 0, 0, 0, 0, 0, true, 1))
        .hasMessageContaining("kAux");
  }
}
