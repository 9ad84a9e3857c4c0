package dev.livesae.sources.intervene;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livesae.engine.Sae;
import dev.livesae.sources.EuroparlCorpus;
import dev.livesae.sources.TextLines;
import dev.livesae.sources.model.MiniLmModel;
import dev.livesae.sources.model.SplitTransformer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LiveFidelityTest {

    @Test
    void exportsFidelityRecoveredOfSampledRequestsWithTheLatestPromotedDictionary(@TempDir Path root) throws Exception {
        try (MiniLmModel model = MiniLmModel.load(); SplitTransformer split = model.split(TrainedSae.HOOK)) {
            Sae sae = TrainedSae.get(model);
            sae.save(root.resolve("step-1").resolve("dictionary"), MiniLmModel.MODEL_NAME, TrainedSae.HOOK);
            Files.writeString(root.resolve("LATEST"), "step-1\n");
            LatestDictionary latest = new LatestDictionary(root, Duration.ZERO);
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            LiveFidelity live = new LiveFidelity(split, latest, 0.5, 100, 3L, registry);
            assertThat(registry.get("livesae.fidelity.recovered").gauge().value()).isNaN();
            List<String> texts;
            try (TextLines corpus = EuroparlCorpus.lines()) {
                texts = corpus.next(64);
            }
            int sampled = 0;
            for (int i = 0; i < texts.size(); i += 4) {
                if (live.offer(split.head(model.tokenizer().encode(texts.subList(i, i + 4))))) {
                    sampled++;
                }
            }
            // half of 16 requests, give or take what a fair coin does
            assertThat(sampled).isBetween(3, 13);
            assertThat(registry.get("livesae.fidelity.sampled.requests").counter().count()).isEqualTo(sampled);
            Fidelity.Similarities s = live.current().orElseThrow();
            assertThat(s.texts()).isEqualTo(4L * sampled);
            double gauge = registry.get("livesae.fidelity.recovered").gauge().value();
            assertThat(gauge).isEqualTo(s.recovered()).isBetween(0.2, 1.0);
            assertThat(registry.get("livesae.fidelity.similarity").tag("variant", "spliced").gauge().value())
                    .isGreaterThan(registry.get("livesae.fidelity.similarity").tag("variant", "zero_ablated").gauge().value());

            // a newer checkpoint: the supplier loads it and the window starts over
            LiveFidelity always = new LiveFidelity(split, latest, 1.0, 100, 3L, new SimpleMeterRegistry());
            assertThat(always.offer(split.head(model.tokenizer().encode(texts.subList(0, 2))))).isTrue();
            assertThat(always.offer(split.head(model.tokenizer().encode(texts.subList(2, 5))))).isTrue();
            assertThat(always.current().orElseThrow().texts()).isEqualTo(5);
            SaeDictionary first = latest.get();
            sae.save(root.resolve("step-2").resolve("dictionary"), MiniLmModel.MODEL_NAME, TrainedSae.HOOK);
            Files.writeString(root.resolve("LATEST"), "step-2\n");
            assertThat(latest.get()).isNotSameAs(first);
            assertThat(always.offer(split.head(model.tokenizer().encode(texts.subList(0, 2))))).isTrue();
            assertThat(always.current().orElseThrow().texts()).isEqualTo(2);
            // the Prometheus names docs/interventions.md lists
            io.micrometer.prometheusmetrics.PrometheusMeterRegistry prometheus =
                    new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
            new LiveFidelity(split, latest, 1.0, 10, 1L, prometheus);
            new InterventionMetrics(prometheus, TrainedSae.HOOK, java.util.Set.of(3));
            assertThat(prometheus.scrape()).contains("livesae_fidelity_recovered{", "livesae_fidelity_similarity{",
                    "variant=\"zero_ablated\"", "livesae_fidelity_sampled_requests_total{", "livesae_intervention_requests_total{",
                    "livesae_intervention_feature_requests_total{", "feature=\"3\"", "livesae_intervention_duration_seconds_count{");
            LiveFidelity never = new LiveFidelity(split, latest, 0.0, 100, 3L, new SimpleMeterRegistry());
            assertThat(never.offer(split.head(model.tokenizer().encode(texts.subList(0, 2))))).isFalse();
        }
    }
}
