package dev.livesae.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class RejectionLogTest {
    @Test
    void countsEveryRejectionButLogsAtMostOneLinePerReasonPerInterval() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AtomicLong now = new AtomicLong();
        RejectionLog log = new RejectionLog(registry, "trainer", Duration.ofSeconds(10), now::get);

        assertThat(log.rejected(RejectReason.NON_FINITE, "t-0@1", "NaN")).isTrue();
        for (int i = 0; i < 999; i++) {
            assertThat(log.rejected(RejectReason.NON_FINITE, "t-0@" + i, "NaN")).isFalse();
        }
        assertThat(log.rejected(RejectReason.UNDECODABLE, "t-0@5", "garbage")).as("another reason has its own line").isTrue();
        now.set(Duration.ofSeconds(9).toNanos());
        assertThat(log.rejected(RejectReason.NON_FINITE, "t-0@2000", "NaN")).isFalse();
        now.set(Duration.ofSeconds(10).toNanos());
        assertThat(log.rejected(RejectReason.NON_FINITE, "t-0@2001", "NaN")).isTrue();

        assertThat(registry.get("livesae.records.rejected").tags("reason", "NON_FINITE", "component", "trainer")
                .counter().count()).isEqualTo(1002);
        assertThat(registry.get("livesae.records.rejected").tags("reason", "UNDECODABLE", "component", "trainer")
                .counter().count()).isEqualTo(1);
    }

    @Test
    void registersEveryReasonAtZeroWhenBuilt() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new RejectionLog(registry, "monitor");
        for (RejectReason r : RejectReason.values()) {
            assertThat(registry.get("livesae.records.rejected").tags("reason", r.name(), "component", "monitor")
                    .counter().count()).as(r.name()).isZero();
        }
        assertThat(registry.get("livesae.records.rejected").counters()).hasSize(RejectReason.values().length);
    }
}
