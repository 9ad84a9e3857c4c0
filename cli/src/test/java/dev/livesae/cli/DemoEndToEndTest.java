package dev.livesae.cli;

import dev.livesae.sources.EuroparlCorpus;
import dev.livesae.sources.TextLines;
import java.io.BufferedReader;
import java.io.StringReader;
import java.util.List;

import dev.livesae.clients.KafkaClientConfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.livesae.engine.Sae;
import dev.livesae.kafka.test.KafkaBrokerExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo's path at a small size, on the broker the extension provides (embedded here; Testcontainers'
 * Kafka where a Docker engine exists): real MiniLM activations of Europarl text -> Kafka -> trainer ->
 * codes -> monitor, then the summary from the checkpoint.
 */
class DemoEndToEndTest {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @Test
    void runsThePipelineOnRealTextAndReportsFeaturesWithContexts(@TempDir Path dir) throws Exception {
        // the default path's trap: a corpus that runs out before --tokens; held-out texts come first, so the
        // summary still has contexts the SAE never trained on
        List<String> lines;
        try (TextLines europarl = EuroparlCorpus.lines()) {
            lines = europarl.next(300);
        }
        DemoOptions options = new DemoOptions(1_000_000, "blocks.3.hook_resid_post", 256, 8, 256, 1500, 1000, 16, 40, 5, 2,
                dir, -1, 0, 1, KAFKA.clientConfig());
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        Demo.Report report = new Demo(options, new PrintStream(console, true, StandardCharsets.UTF_8),
                () -> TextLines.perLine(new BufferedReader(new StringReader(String.join("\n", lines))))).run();
        String printed = console.toString(StandardCharsets.UTF_8);

        assertThat(printed).contains("corpus   used up after");
        assertThat(report.tokensProduced()).isGreaterThanOrEqualTo(2000);
        assertThat(report.tokensTrained()).as("trained tokens, whole minibatches of 256").isPositive()
                .isLessThanOrEqualTo(report.tokensProduced());
        assertThat(report.trainer().rejectedRecords()).isZero();
        assertThat(report.tokensMonitored()).as("every code row reaches the monitor").isEqualTo(report.trainer().tokensConsumed());
        assertThat(report.trainer().dictionaryVersion()).as("promoted every 1500 tokens").isGreaterThanOrEqualTo(1);
        assertThat(report.lastWindow()).isPresent();

        Sae trained = Sae.load(report.checkpoint().resolve("engine"));
        assertThat(trained.dIn()).isEqualTo(384);
        assertThat(trained.dSae()).isEqualTo(256);
        assertThat(Files.exists(report.checkpoint().resolve("dictionary").resolve("cfg.json"))).isTrue();

        assertThat(report.heldOutTokens()).isPositive();
        assertThat(report.features()).hasSize(5);
        assertThat(report.features()).allSatisfy(f -> {
            assertThat(f.fires()).isPositive();
            assertThat(f.density()).isBetween(0.0, 1.0);
            assertThat(f.contexts()).isNotEmpty().allSatisfy(c -> assertThat(c).contains("[[").contains("]]"));
        });
        assertThat(printed).contains("Summary").contains("Top 5 features").contains("produced");
        // SAEBench core metrics of the last promoted dictionary on rows it never trained on
        assertThat(report.core()).isPresent();
        assertThat(report.core().get().explainedVariance()).isBetween(-1.0, 1.0);
        assertThat(report.core().get().l0()).isPositive();
        assertThat(printed).contains("core metrics of dictionary v").contains("explained_variance")
                .contains("average_max_decoder_cosine_sim");
    }

    @Test
    void rejectsBadOptionsNamingTheFlag(@TempDir Path dir) {
        assertThatThrownBy(() -> new DemoOptions(0, "blocks.3.hook_resid_post", 256, 8, 256, 0, 1000, 16, 40, 5, 2, dir, -1, 0, 1, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--tokens");
        assertThatThrownBy(() -> new DemoOptions(10, "h", 256, 300, 256, 0, 1000, 16, 40, 5, 2, dir, -1, 0, 1, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--k");
        assertThatThrownBy(() -> new DemoOptions(10, "h", 256, 8, 256, 0, 1000, 16, 40, 5, 2, dir, -1, 70000, 1, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--monitor-port");
        assertThatThrownBy(() -> new DemoOptions(10, "h", 256, 8, 256, 0, -1, 1, 1000, 16, 40, 5, 2, dir, -1, 0, 1, null,
                dev.livesae.engine.Architecture.Kind.TOPK, new int[0]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--resample-every");
        assertThatThrownBy(() -> new DemoOptions(10, "h", 256, 8, 256, 0, 1000, 16, 40, 5, 2, dir, -1, 0, 1,
                KafkaClientConfig.of("localhost")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--bootstrap");
    }

    @Test
    void rejectsUnknownHookpointBeforeStartingAnything(@TempDir Path dir) {
        DemoOptions options = new DemoOptions(100, "blocks.9.hook_resid_post", 64, 4, 64, 0, 1000, 16, 0, 1, 1, dir, -1, 0, 1,
                KAFKA.clientConfig());
        assertThatThrownBy(() -> new Demo(options, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blocks.9.hook_resid_post");
    }
}
