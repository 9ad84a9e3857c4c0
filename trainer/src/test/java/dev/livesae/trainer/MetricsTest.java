package dev.livesae.trainer;

import dev.livesae.service.ServiceHttpServer;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

class MetricsTest {
    @Test
    void trainerMetersRecordStepsWithBoundedTags() {
        SimpleMeterRegistry r = new SimpleMeterRegistry();
        TrainerMetrics m = new TrainerMetrics("layer3", "sae-a");
        m.bindTo(r);
        m.step(4096, 0.12, 31.5, 0.01, 0.002, 0.4, 3, 5_000_000);
        m.step(4096, 0.10, 32.0, 0.02, 0.001, 0.3, 0, 5_000_000);
        m.stepSkipped(1_000_000);
        m.lag(17);
        m.dictionaryVersion(4);
        m.checkpointWritten();
        m.catchUpSkipped(9);
        assertThat(r.get("livesae.trainer.tokens").tag("hookpoint", "layer3").tag("sae_id", "sae-a").counter().count())
                .isEqualTo(8192);
        assertThat(r.get("livesae.trainer.fvu").gauge().value()).isEqualTo(0.10);
        assertThat(r.get("livesae.trainer.l0").gauge().value()).isEqualTo(32.0);
        assertThat(r.get("livesae.trainer.dead.latents").gauge().value()).isEqualTo(0.02);
        assertThat(r.get("livesae.trainer.dense.latents").gauge().value()).isEqualTo(0.001);
        assertThat(r.get("livesae.trainer.auxk.loss").gauge().value()).isEqualTo(0.3);
        assertThat(r.get("livesae.trainer.resampled").counter().count()).isEqualTo(3);
        assertThat(r.get("livesae.trainer.steps.skipped").counter().count()).isEqualTo(1);
        assertThat(r.get("livesae.trainer.step.duration").timer().count()).isEqualTo(3);
        assertThat(r.get("livesae.trainer.consumer.lag").gauge().value()).isEqualTo(17);
        assertThat(r.get("livesae.trainer.dictionary.version").gauge().value()).isEqualTo(4);
        assertThat(r.get("livesae.trainer.checkpoints").counter().count()).isEqualTo(1);
        assertThat(r.get("livesae.trainer.catchup.skipped").counter().count()).isEqualTo(9);
        r.getMeters().forEach(meter -> {
            assertThat(meter.getId().getDescription()).as(meter.getId().getName()).isNotBlank();
            assertThat(meter.getId().getTags()).extracting(t -> t.getKey()).containsExactlyInAnyOrder("hookpoint", "sae_id");
        });
    }

    @Test
    void metricsServerServesThePrometheusNamesOfTheBrief() throws Exception {
        PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TrainerMetrics m = new TrainerMetrics("layer3", "sae-a");
        m.bindTo(r);
        m.step(100, 0.5, 8, 0, 0, 0, 0, 1000);
        m.lag(5);
        m.catchUpSkipped(2);
        m.codeBatchPublished();
        dev.livesae.wire.DeadLetterPublisher.rejectedCounter(r, dev.livesae.wire.RejectReason.NON_FINITE, "trainer")
                .increment();
        try (ServiceHttpServer server = ServiceHttpServer.start("test-http", "127.0.0.1", 0, r,
                () -> new ServiceHttpServer.Health(true, "RUNNING"))) {
            assertThat(server.url("/metrics")).startsWith("http://127.0.0.1:");
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create(server.url("/metrics"))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(res.statusCode()).isEqualTo(200);
            assertThat(res.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
            assertThat(res.body()).contains(
                    "livesae_trainer_tokens_total{hookpoint=\"layer3\",sae_id=\"sae-a\"} 100.0",
                    "livesae_trainer_fvu_ratio{",
                    "livesae_trainer_l0_latents{",
                    "livesae_trainer_dead_latents_ratio{",
                    "livesae_trainer_dense_latents_ratio{",
                    "livesae_trainer_auxk_loss{",
                    "livesae_trainer_resampled_latents_total{",
                    "livesae_trainer_steps_skipped_steps_total{",
                    "livesae_trainer_step_duration_seconds_count{",
                    "livesae_trainer_consumer_lag_records{hookpoint=\"layer3\",sae_id=\"sae-a\"} 5.0",
                    "livesae_trainer_dictionary_version{",
                    "livesae_trainer_checkpoints_total{",
                    "livesae_trainer_catchup_skipped_records_total{hookpoint=\"layer3\",sae_id=\"sae-a\"} 2.0",
                    "livesae_trainer_codes_batches_total{hookpoint=\"layer3\",sae_id=\"sae-a\"} 1.0",
                    // the brief says livesae_records_rejected_total; the wire declares baseUnit "records" (reported to the lead)
                    "livesae_records_rejected_records_total{component=\"trainer\",reason=\"NON_FINITE\"} 1.0");
            HttpResponse<String> other = http.send(HttpRequest.newBuilder(URI.create(
                    "http://127.0.0.1:" + server.port() + "/")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(other.statusCode()).isEqualTo(404);
        }
    }

    @Test
    void coreMetricGaugesExportSaeBenchFiguresUnderTheDocumentedPrometheusNames() {
        PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TrainerMetrics m = new TrainerMetrics("layer3", "sae-a");
        m.bindTo(r);
        assertThat(r.scrape()).contains("livesae_trainer_core_explained_variance_ratio{hookpoint=\"layer3\",sae_id=\"sae-a\"} NaN");
        dev.livesae.engine.eval.CoreMetrics cm = new dev.livesae.engine.eval.CoreMetrics(2, 3);
        cm.add(new float[] {1, 2, 3, 4}, new float[] {1, 2, 3, 3}, 2, new int[] {0, 1, 2, 0}, new float[] {1, 1, 2, 0}, 2);
        m.core(cm.result(null, null), 1.5);
        String text = r.scrape();
        assertThat(text).contains(
                "livesae_trainer_core_explained_variance_ratio{hookpoint=\"layer3\",sae_id=\"sae-a\"} 0.75",
                "livesae_trainer_core_mse{hookpoint=\"layer3\",sae_id=\"sae-a\"} 0.25",
                "livesae_trainer_core_cossim{",
                "livesae_trainer_core_l2_norm_in{",
                "livesae_trainer_core_l2_norm_out{",
                "livesae_trainer_core_l2_ratio{",
                "livesae_trainer_core_relative_reconstruction_bias{",
                "livesae_trainer_core_l0_latents{hookpoint=\"layer3\",sae_id=\"sae-a\"} 1.5",
                "livesae_trainer_core_l1{",
                "livesae_trainer_core_frac_alive_ratio{hookpoint=\"layer3\",sae_id=\"sae-a\"} 1.0",
                "livesae_trainer_core_freq_over_1_percent_ratio{",
                "livesae_trainer_core_freq_over_10_percent_ratio{",
                "livesae_trainer_core_average_max_encoder_cosine_sim{",
                "livesae_trainer_core_average_max_decoder_cosine_sim{",
                "livesae_trainer_core_eval_rows{hookpoint=\"layer3\",sae_id=\"sae-a\"} 2.0",
                "livesae_trainer_core_eval_duration_seconds{hookpoint=\"layer3\",sae_id=\"sae-a\"} 1.5");
    }
}
