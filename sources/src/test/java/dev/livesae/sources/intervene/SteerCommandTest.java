package dev.livesae.sources.intervene;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livesae.sources.bench.InterventionBench;
import dev.livesae.sources.model.MiniLmModel;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class SteerCommandTest {

    @TempDir
    static Path dir;

    record Run(int code, String out, String err) {
    }

    static Run run(Object command, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(command);
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    static int feature;

    @BeforeAll
    static void saveSae() throws Exception {
        try (MiniLmModel model = MiniLmModel.load()) {
            TrainedSae.get(model).save(dir, MiniLmModel.MODEL_NAME, TrainedSae.HOOK);
            // the feature firing most strongly on the token "fisheries" ([CLS] the fisheries policy [SEP])
            SaeDictionary sae = SaeDictionary.load(dir);
            float[] x = model.forward(List.of("The fisheries policy"), java.util.Set.of(TrainedSae.HOOK)).block(TrainedSae.HOOK).values();
            float[] z = sae.encode(x, x.length / 384);
            int best = 0;
            for (int i = 0; i < sae.dSae(); i++) {
                if (z[sae.dSae() * 2 + i] > z[sae.dSae() * 2 + best]) {
                    best = i;
                }
            }
            feature = best;
        }
    }

    @Test
    void ablatingAFeatureShiftsTheEmbeddingsOfTextsWhereItFiresAndShowsItsContexts() {
        Run r = run(new SteerCommand(), "--sae", dir.toString(), "--edit", "ablate:" + feature,
                "--text", "The fisheries policy", "--text", "Thank you.", "--monitor", "http://127.0.0.1:1");
        assertThat(r.code()).as(r.err()).isZero();
        List<String> lines = r.out().lines().toList();
        String fish = lines.stream().filter(l -> l.endsWith("The fisheries policy")).findFirst().orElseThrow();
        double cos = Double.parseDouble(fish.strip().split("\\s+")[0]);
        assertThat(cos).isLessThan(0.9999);
        assertThat(r.out()).contains("monitor not reachable").contains("feature " + feature + ": top contexts among the given texts")
                .contains("[[fisheries]]");
    }

    @Test
    void steeringTheQueryShiftsItsEmbeddingAndRescoresEveryCandidate() {
        Run r = run(new SteerCommand(), "--sae", dir.toString(), "--edit", "steer:" + feature + "=8",
                "--query", "a debate on agriculture", "--text", "The common fisheries policy needs reform.",
                "--text", "Farm subsidies were discussed.", "--text", "Fishermen in the North Sea protest quotas.",
                "--text", "The budget for 2005 was adopted.");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("rank after  rank before");
        List<String> rows = r.out().lines().filter(l -> l.matches("\\s+\\d+\\s+\\d+\\s+\\S+\\s+-?\\d.*")).toList();
        assertThat(rows).hasSize(4);
        // every candidate's score changed (the query moved), the ranks before and after are each a permutation
        java.util.Set<String> before = new java.util.HashSet<>();
        java.util.Set<String> after = new java.util.HashSet<>();
        for (String row : rows) {
            String[] f = row.strip().split("\\s+");
            after.add(f[0]);
            before.add(f[1]);
            assertThat(Double.parseDouble(f[3])).isNotEqualTo(Double.parseDouble(f[4]));
        }
        assertThat(before).containsExactlyInAnyOrder("1", "2", "3", "4");
        assertThat(after).containsExactlyInAnyOrder("1", "2", "3", "4");
        String shift = r.out().lines().filter(l -> l.startsWith("query:")).findFirst().orElseThrow();
        assertThat(Double.parseDouble(shift.substring(shift.lastIndexOf('=') + 1).strip())).isLessThan(0.9999);
    }

    @Test
    void rejectsBadFlagsNamingThem() {
        Run edit = run(new SteerCommand(), "--sae", dir.toString(), "--edit", "boost:1=2", "--text", "x");
        assertThat(edit.code()).isEqualTo(2);
        assertThat(edit.err()).contains("--edit");
        Run noText = run(new SteerCommand(), "--sae", dir.toString(), "--edit", "ablate:1");
        assertThat(noText.code()).isEqualTo(2);
        assertThat(noText.err()).contains("--text");
        Run side = run(new SteerCommand(), "--sae", dir.toString(), "--edit", "ablate:1", "--text", "x", "--apply-to", "index");
        assertThat(side.code()).isEqualTo(2);
        assertThat(side.err()).contains("--apply-to");
        Run latent = run(new SteerCommand(), "--sae", dir.toString(), "--edit", "ablate:100000", "--text", "x");
        assertThat(latent.code()).isEqualTo(2);
        assertThat(latent.err()).contains("--edit").contains("d_sae");
    }

    @Test
    void benchPrintsMsPerRequestForEveryVariantAndAJsonLine() {
        Run r = run(new InterventionBench(), "--sae", dir.toString(), "--requests", "3", "--rounds", "1");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("machine: ").contains("split + ablate 1");
        String json = r.out().strip().lines().reduce((a, b) -> b).orElseThrow();
        assertThat(json).startsWith("{\"bench\":\"interventions\"").contains("\"forward_ms\":").contains("\"split_clamp_8_ms\":");
        Run bad = run(new InterventionBench(), "--requests", "0");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("--requests");
    }
}
