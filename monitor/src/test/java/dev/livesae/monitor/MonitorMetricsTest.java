package dev.livesae.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livesae.wire.RejectReason;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

class MonitorMetricsTest {
    private static final StreamKey KEY = new StreamKey("sae-a", "blocks.3.hook_resid_post");

    @Test
    void registersPerStreamMetersWithBoundedTagsUnitsAndDescriptions() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        MonitorMetrics metrics = new MonitorMetrics();
        metrics.bindTo(registry);
        MonitorMetrics.StreamMeters m = metrics.stream(KEY);
        m.tokens.increment(128);
        m.drift(new DriftMath.Scores(0.25, 0.125));
        m.fractions(0.5, 0.0625);
        m.version(3);
        metrics.rejected(RejectReason.NON_FINITE);

        assertThat(registry.getMeters()).allSatisfy(meter -> {
            assertThat(meter.getId().getDescription()).as(meter.getId().getName()).isNotBlank();
            assertThat(meter.getId().getTags()).extracting(t -> t.getKey())
                    .isSubsetOf("sae_id", "hookpoint", "reason", "component");
        });
        assertThat(registry.getMeters().stream().map(x -> x.getId().getName()).distinct().toList()).containsExactlyInAnyOrder(
                "livesae.monitor.tokens", "livesae.monitor.windows.closed", "livesae.monitor.baseline.rebases",
                "livesae.monitor.l0", "livesae.monitor.recon.error", "livesae.monitor.drift.psi",
                "livesae.monitor.drift.js", "livesae.monitor.dead.latents", "livesae.monitor.dense.latents",
                "livesae.monitor.dictionary.version", "livesae.monitor.drift.p.value", "livesae.monitor.drift.detected",
                "livesae.monitor.drift.consecutive", "livesae.records.rejected");
        Meter.Id js = registry.get("livesae.monitor.drift.js").gauge().getId();
        assertThat(js.getBaseUnit()).as("no unit: promtool rejects a _bits suffix").isNull();
        assertThat(js.getTag("sae_id")).isEqualTo("sae-a");
        assertThat(js.getTag("hookpoint")).isEqualTo("blocks.3.hook_resid_post");
        assertThat(registry.get("livesae.monitor.tokens").counter().getId().getBaseUnit()).isEqualTo("tokens");
        assertThat(registry.get("livesae.monitor.l0").summary().getId().getBaseUnit()).isEqualTo("latents");
        assertThat(registry.get("livesae.monitor.drift.psi").gauge().value()).isEqualTo(0.25);
        assertThat(registry.get("livesae.monitor.drift.js").gauge().value()).isEqualTo(0.125);
        assertThat(registry.get("livesae.monitor.dead.latents").gauge().value()).isEqualTo(0.5);
        assertThat(registry.get("livesae.monitor.dense.latents").gauge().value()).isEqualTo(0.0625);
        assertThat(registry.get("livesae.monitor.dictionary.version").gauge().value()).isEqualTo(3.0);
        assertThat(registry.get("livesae.monitor.tokens").counter().count()).isEqualTo(128.0);
        assertThat(registry.get("livesae.records.rejected").tags("reason", "NON_FINITE", "component", "monitor")
                .counter().count()).isEqualTo(1.0);
        assertThat(metrics.stream(KEY)).isSameAs(m);
    }

    @Test
    void driftDecisionGaugesFollowTheLastWindow() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        MonitorMetrics metrics = new MonitorMetrics();
        metrics.bindTo(registry);
        MonitorMetrics.StreamMeters m = metrics.stream(KEY);
        assertThat(registry.get("livesae.monitor.drift.p.value").gauge().value()).isNaN();
        assertThat(registry.get("livesae.monitor.drift.detected").gauge().value()).isZero();

        m.decision(new DriftDecision.Result(120.0, 1e-6, -6.0, true, 1e-3, 40, 30.0, 2.0, java.util.List.of()), 2);
        assertThat(registry.get("livesae.monitor.drift.p.value").gauge().value()).isEqualTo(1e-6);
        assertThat(registry.get("livesae.monitor.drift.detected").gauge().value()).isEqualTo(1.0);
        assertThat(registry.get("livesae.monitor.drift.consecutive").gauge().value()).isEqualTo(2.0);
        assertThat(registry.get("livesae.monitor.drift.consecutive").gauge().getId().getBaseUnit()).isEqualTo("windows");

        m.decision(new DriftDecision.Result(41.0, 0.4, Math.log10(0.4), false, 1e-3, 40, 30.0, 2.0, java.util.List.of()), 0);
        assertThat(registry.get("livesae.monitor.drift.detected").gauge().value()).isZero();
        assertThat(registry.get("livesae.monitor.drift.consecutive").gauge().value()).isZero();
        m.decision(null, 0);
        assertThat(registry.get("livesae.monitor.drift.p.value").gauge().value()).isNaN();
        assertThat(registry.get("livesae.monitor.drift.detected").gauge().value()).isZero();
    }

    @Test
    void registersEveryRejectionReasonAtZeroWhenBound() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new MonitorMetrics().bindTo(registry);
        for (RejectReason reason : RejectReason.values()) {
            assertThat(registry.get("livesae.records.rejected").tags("reason", reason.name(), "component", "monitor")
                    .counter().count()).as(reason.name()).isZero();
        }
    }

    @Test
    void gaugesReadNaNBeforeTheFirstWindow() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        MonitorMetrics metrics = new MonitorMetrics();
        metrics.bindTo(registry);
        metrics.stream(KEY);
        assertThat(registry.get("livesae.monitor.drift.psi").gauge().value()).isNaN();
    }

    @Test
    void refusesToCountBeforeBinding() {
        assertThatThrownBy(() -> new MonitorMetrics().stream(KEY)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("bound");
    }

    @Test
    void prometheusNamesAreTheOnesAlertRulesUseAndPassPromtool() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        MonitorMetrics metrics = new MonitorMetrics();
        metrics.bindTo(registry);
        MonitorMetrics.StreamMeters m = metrics.stream(KEY);
        m.tokens.increment(10);
        m.windowsClosed.increment();
        m.l0.record(32);
        m.reconError.record(0.2);
        m.drift(new DriftMath.Scores(0.3, 0.1));
        m.decision(new DriftDecision.Result(120.0, 1e-6, -6.0, true, 1e-3, 40, 30.0, 2.0, java.util.List.of()), 1);
        metrics.rejected(RejectReason.UNDECODABLE);
        String text = registry.scrape();

        assertThat(text).contains(
                "livesae_monitor_tokens_total{", "livesae_monitor_windows_closed_windows_total{",
                "livesae_monitor_drift_psi{", "livesae_monitor_drift_js{",
                "livesae_monitor_dead_latents_ratio{", "livesae_monitor_dense_latents_ratio{",
                "livesae_monitor_l0_latents_count{", "livesae_monitor_l0_latents_sum{",
                "livesae_monitor_recon_error_ratio_count{", "livesae_monitor_baseline_rebases_total{",
                "livesae_monitor_dictionary_version{", "livesae_monitor_drift_p_value{", "livesae_monitor_drift_detected{",
                "livesae_monitor_drift_consecutive_windows{", "hookpoint=\"blocks.3.hook_resid_post\"", "sae_id=\"sae-a\"");
        assertThat(text).containsPattern("livesae_records_rejected(_records)?_total\\{component=\"monitor\",reason=\"UNDECODABLE\"}");
        System.out.println(text);
        Promtool.Result check = Promtool.checkMetrics(text);
        assertThat(check.exit()).as(check.output()).isZero();
        registry.close();
    }
}
