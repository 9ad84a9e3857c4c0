package dev.livesae.monitor;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.livesae.wire.RejectReason;
import dev.livesae.wire.RejectionLog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * The monitor's meters. Per stream they are tagged {@code sae_id} and {@code hookpoint} only (never a latent), and
 * registered when the stream's first batch arrives; rejected records are {@code livesae.records.rejected} tagged
 * {@code reason} and {@code component=monitor}, every reason registered at 0 when bound. Gauges read NaN until their first window.
 */
public final class MonitorMetrics implements MeterBinder {
    public static final String COMPONENT = "monitor";

    private volatile MeterRegistry registry;
    private final Map<StreamKey, StreamMeters> streams = new ConcurrentHashMap<>();
    private volatile RejectionLog rejections;

    @Override
    public void bindTo(MeterRegistry registry) {
        if (this.registry != null && this.registry != registry) {
            throw new IllegalStateException("MonitorMetrics is already bound to another registry");
        }
        if (this.registry == null) {
            this.rejections = new RejectionLog(registry, COMPONENT);
        }
        this.registry = registry;
    }

    private MeterRegistry registry() {
        MeterRegistry r = registry;
        if (r == null) {
            throw new IllegalStateException("MonitorMetrics must be bound to a registry before the topology runs");
        }
        return r;
    }

    /** The meters of one stream, registered on first use. */
    public StreamMeters stream(StreamKey key) {
        return streams.computeIfAbsent(key, k -> new StreamMeters(registry(), k));
    }

    /** Counts a rejected record (every reason is registered at 0 when bound) and logs it, rate-limited per reason. */
    public void rejected(RejectReason reason, String source, String detail) {
        registry();
        rejections.rejected(reason, source, detail);
    }

    public void rejected(RejectReason reason) {
        rejected(reason, "a record", "");
    }

    /** {@code livesae.monitor.saes.tracked}: how many SAE streams the instance tracks, out of {@code --max-saes}. */
    void trackSaes(SaeAdmission admission) {
        Gauge.builder("livesae.monitor.saes.tracked", admission, SaeAdmission::tracked)
                .description("SAE streams (sae_id at a hookpoint) this monitor instance tracks; codes of further ones"
                        + " are dead-lettered TOO_MANY_SAES once it reaches --max-saes")
                .register(registry());
    }

    /** Meters of one (sae_id, hookpoint). Gauges read the volatile fields. */
    public static final class StreamMeters {
        final Counter tokens;
        final Counter windowsClosed;
        final Counter rebases;
        final DistributionSummary l0;
        final DistributionSummary reconError;
        private volatile double psi = Double.NaN;
        private volatile double js = Double.NaN;
        private volatile double dead = Double.NaN;
        private volatile double dense = Double.NaN;
        private volatile double version = Double.NaN;
        private volatile double pValue = Double.NaN;
        private volatile double detected = 0;
        private volatile double consecutive = 0;

        StreamMeters(MeterRegistry r, StreamKey key) {
            Tags tags = Tags.of("sae_id", key.saeId(), "hookpoint", key.hookpoint());
            tokens = Counter.builder("livesae.monitor.tokens").baseUnit("tokens").tags(tags)
                    .description("Code tokens the monitor has counted into windows").register(r);
            windowsClosed = Counter.builder("livesae.monitor.windows.closed").baseUnit("windows").tags(tags)
                    .description("Count-based telemetry windows closed").register(r);
            rebases = Counter.builder("livesae.monitor.baseline.rebases").tags(tags)
                    .description("Baseline rebases because the dictionary version changed").register(r);
            l0 = DistributionSummary.builder("livesae.monitor.l0").baseUnit("latents").tags(tags)
                    .description("Active latents (value > 0) per token, recorded when a window closes").register(r);
            reconError = DistributionSummary.builder("livesae.monitor.recon.error").baseUnit("ratio").tags(tags)
                    .description("Per-token unexplained fraction reconError / centeredSqNorm, recorded when a window closes")
                    .register(r);
            Gauge.builder("livesae.monitor.drift.psi", this, m -> m.psi).tags(tags)
                    .description("Population stability index of the last window's latent firing distribution against the baseline")
                    .register(r);
            // JS is in bits (log base 2), but no base unit: promtool lints a "_bits" suffix as a data size.
            Gauge.builder("livesae.monitor.drift.js", this, m -> m.js).tags(tags)
                    .description("Jensen-Shannon divergence (bits, log base 2) of the last window's latent firing distribution against the baseline")
                    .register(r);
            Gauge.builder("livesae.monitor.drift.p.value", this, m -> m.pValue).tags(tags)
                    .description("p-value of the last closed window's drift test against the baseline (small = drifted); "
                            + "NaN while the window overlaps its first-tokens baseline")
                    .register(r);
            Gauge.builder("livesae.monitor.drift.detected", this, m -> m.detected).tags(tags)
                    .description("1 if the last closed window's drift test rejected stationarity at --drift-false-alarm-rate, else 0")
                    .register(r);
            Gauge.builder("livesae.monitor.drift.consecutive", this, m -> m.consecutive).baseUnit("windows").tags(tags)
                    .description("Closed windows in a row declared drifted, ending with the last one")
                    .register(r);
            Gauge.builder("livesae.monitor.dead.latents", this, m -> m.dead).baseUnit("ratio").tags(tags)
                    .description("Fraction of latents that did not fire within the dead horizon").register(r);
            Gauge.builder("livesae.monitor.dense.latents", this, m -> m.dense).baseUnit("ratio").tags(tags)
                    .description("Fraction of latents firing on more than the dense threshold of the last window's tokens")
                    .register(r);
            Gauge.builder("livesae.monitor.dictionary.version", this, m -> m.version).tags(tags)
                    .description("Dictionary version of the codes the monitor is reading").register(r);
        }

        void version(long v) {
            version = v;
        }

        void drift(DriftMath.Scores s) {
            psi = s == null ? Double.NaN : s.psi();
            js = s == null ? Double.NaN : s.jsBits();
        }

        void decision(DriftDecision.Result d, int consecutiveDrifted) {
            pValue = d == null ? Double.NaN : d.pValue();
            detected = d != null && d.detected() ? 1.0 : 0.0;
            consecutive = consecutiveDrifted;
        }

        void fractions(double deadFraction, double denseFraction) {
            dead = deadFraction;
            dense = denseFraction;
        }

        public double psi() {
            return psi;
        }

        public double js() {
            return js;
        }

        public double pValue() {
            return pValue;
        }

        public double detected() {
            return detected;
        }
    }
}
