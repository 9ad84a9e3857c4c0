package dev.livesae.sources.intervene;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livesae.sources.model.MiniLmModel;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class EvalCommandTest {

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new EvalCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void printsCoreMetricsAndFidelityRecoveredOfATrainedSaeAsOneJsonObject(@TempDir Path dir) throws Exception {
        try (MiniLmModel model = MiniLmModel.load()) {
            TrainedSae.get(model).save(dir, MiniLmModel.MODEL_NAME, TrainedSae.HOOK);
        }
        // the hookpoint comes from cfg.json's hook_name; the texts are the held-out start of the corpus
        Run r = run("--sae", dir.toString(), "--texts", "48", "--texts-per-batch", "16");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().strip().lines()).hasSize(1);
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("hookpoint").asText()).isEqualTo(TrainedSae.HOOK);
        assertThat(j.get("architecture").asText()).isEqualTo("topk");
        assertThat(j.get("texts").asInt()).isEqualTo(48);
        assertThat(j.get("tokens").asLong()).isGreaterThan(48 * 5);
        assertThat(j.get("explained_variance").asDouble()).isBetween(0.2, 1.0);
        assertThat(j.get("cossim").asDouble()).isBetween(0.5, 1.0);
        assertThat(j.get("l0").asDouble()).isBetween(1.0, 16.0);
        assertThat(j.get("frac_alive").asDouble()).isBetween(0.01, 1.0);
        for (String f : new String[] {"mse", "l2_ratio", "relative_reconstruction_bias", "average_max_decoder_cosine_sim"}) {
            assertThat(j.get(f).isNumber()).as(f).isTrue();
        }
        double spliced = j.get("similarity_spliced").asDouble();
        double zero = j.get("similarity_zero_ablated").asDouble();
        double mean = j.get("similarity_mean_ablated").asDouble();
        double recovered = j.get("fidelity_recovered").asDouble();
        assertThat(spliced).isBetween(zero, 1.0);
        assertThat(mean).isBetween(-1.0, 1.0);
        assertThat(recovered).isCloseTo((spliced - zero) / (1 - zero), org.assertj.core.api.Assertions.within(1e-9));
        assertThat(recovered).isBetween(0.2, 1.0);
        assertThat(r.err()).contains("fidelity_recovered so far");
    }

    @Test
    void rejectsBadFlagsNamingThem(@TempDir Path dir) {
        Run noDir = run("--sae", dir.resolve("missing").toString(), "--hookpoint", TrainedSae.HOOK);
        assertThat(noDir.code()).isEqualTo(2);
        assertThat(noDir.err()).contains("--sae");
        Run texts = run("--sae", dir.toString(), "--hookpoint", TrainedSae.HOOK, "--texts", "0");
        assertThat(texts.code()).isEqualTo(2);
        assertThat(texts.err()).contains("--texts");
        Run noHook = run("--sae", dir.toString());
        assertThat(noHook.code()).isEqualTo(2);
        assertThat(noHook.err()).contains("--hookpoint");
    }
}
