package dev.livesae.sources.intervene;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Meters of the interventions at one hookpoint (Prometheus names):
 * <ul>
 *   <li>{@code livesae_intervention_requests_total{hookpoint, kind}}: requests that applied an edit of this kind
 *       (ablate, clamp, scale, steer), one per edit per request;</li>
 *   <li>{@code livesae_intervention_feature_requests_total{hookpoint, kind, feature}}: the same per latent, only
 *       for the latents in the configured {@code trackedFeatures} set (bounded, at most {@value #MAX_TRACKED});
 *       edits of other latents count only in the first meter;</li>
 *   <li>{@code livesae_intervention_duration_seconds{hookpoint}}: time to encode, edit and rebuild the
 *       activations of one request (the SAE work only, not the model's two halves).</li>
 * </ul>
 */
public final class InterventionMetrics {
    /** Most latents that get their own time series. */
    public static final int MAX_TRACKED = 64;

    private final Map<FeatureEdit.Kind, Counter> byKind = new EnumMap<>(FeatureEdit.Kind.class);
    private final Map<Long, Counter> byFeature = new HashMap<>();
    private final Timer duration;

    public InterventionMetrics(MeterRegistry registry, String hookpoint, Set<Integer> trackedFeatures) {
        if (trackedFeatures.size() > MAX_TRACKED) {
            throw new IllegalArgumentException("trackedFeatures must hold at most " + MAX_TRACKED + " latents (got " + trackedFeatures.size() + ")");
        }
        for (FeatureEdit.Kind k : FeatureEdit.Kind.values()) {
            byKind.put(k, Counter.builder("livesae.intervention.requests").baseUnit("requests")
                    .description("Requests whose activations were edited at this hookpoint, one per feature edit, by kind of edit")
                    .tag("hookpoint", hookpoint).tag("kind", k.tag()).register(registry));
            for (int f : trackedFeatures) {
                if (f < 0) {
                    throw new IllegalArgumentException("trackedFeatures must be latent ids >= 0 (got " + f + ")");
                }
                byFeature.put(key(k, f), Counter.builder("livesae.intervention.feature.requests").baseUnit("requests")
                        .description("Requests that edited this latent (only the configured tracked latents)")
                        .tag("hookpoint", hookpoint).tag("kind", k.tag()).tag("feature", Integer.toString(f)).register(registry));
            }
        }
        duration = Timer.builder("livesae.intervention.duration")
                .description("SAE encode, feature edits and rebuilt activations of one request")
                .tag("hookpoint", hookpoint).register(registry);
    }

    private static long key(FeatureEdit.Kind k, int feature) {
        return ((long) k.ordinal() << 32) | feature;
    }

    void record(Iterable<FeatureEdit> edits, long nanos) {
        for (FeatureEdit e : edits) {
            byKind.get(e.kind()).increment();
            Counter c = byFeature.get(key(e.kind(), e.latent()));
            if (c != null) {
                c.increment();
            }
        }
        duration.record(nanos, TimeUnit.NANOSECONDS);
    }
}
