package dev.livesae.producer;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

class PublisherMetricsTest {

    @Test
    void prometheusNamesMatchTheTeamContract() {
        PublisherMetrics metrics = new PublisherMetrics(() -> 1234);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try {
            metrics.bindTo(registry);
            PublisherMetrics.Hook h = metrics.hook("blocks.3.hook_resid_post");
            h.tokens.add(5);
            h.dropped.add(2);
            h.recordLatency(1_000_000);
            String scrape = registry.scrape();
            assertThat(scrape).contains(
                    "livesae_producer_tokens_total{hookpoint=\"blocks.3.hook_resid_post\"} 5.0",
                    "livesae_producer_dropped_tokens_total{hookpoint=\"blocks.3.hook_resid_post\"} 2.0",
                    "livesae_producer_bytes_total{hookpoint=\"blocks.3.hook_resid_post\"}",
                    "livesae_producer_batches_total{hookpoint=\"blocks.3.hook_resid_post\"}",
                    "livesae_producer_send_latency_seconds_count{hookpoint=\"blocks.3.hook_resid_post\"} 1",
                    "livesae_producer_buffered_bytes 1234.0");
        } finally {
            registry.close();
        }
    }

    @Test
    void hookpointsSeenBeforeAndAfterBindingAreInEveryRegistry() {
        PublisherMetrics metrics = new PublisherMetrics(() -> 0);
        metrics.hook("early").tokens.add(3);
        SimpleMeterRegistry a = new SimpleMeterRegistry();
        metrics.bindTo(a);
        metrics.hook("late").tokens.add(4);
        SimpleMeterRegistry b = new SimpleMeterRegistry();
        metrics.bindTo(b);
        for (SimpleMeterRegistry r : new SimpleMeterRegistry[] {a, b}) {
            assertThat(r.get("livesae.producer.tokens").tag("hookpoint", "early").functionCounter().count()).isEqualTo(3);
            assertThat(r.get("livesae.producer.tokens").tag("hookpoint", "late").functionCounter().count()).isEqualTo(4);
            assertThat(r.get("livesae.producer.tokens").tag("hookpoint", "late").functionCounter().getId().getDescription()).isNotBlank();
        }
    }
}
