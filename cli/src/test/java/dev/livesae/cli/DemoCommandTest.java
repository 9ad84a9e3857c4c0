package dev.livesae.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The demo command rejects bad flags before starting anything, naming the flag. */
class DemoCommandTest {
    private record Run(int exit, String err, String out) {}

    private static Run run(String... args) {
        CommandLine cl = Sae.commandLine(new LayeredDefaults(Map.of(), new Properties()));
        cl.setUsageHelpAutoWidth(false);
        cl.setUsageHelpWidth(200);
        StringWriter err = new StringWriter();
        StringWriter out = new StringWriter();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(out));
        int exit = cl.execute(args);
        return new Run(exit, err.toString(), out.toString());
    }

    @Test
    void rejectsOutOfRangeValuesNamingTheFlag() {
        Run r = run("demo", "--k", "0");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--k must be in [1, --d-sae=3072] (got 0)");
        Run port = run("demo", "--monitor-port", "70000");
        assertThat(port.exit()).isEqualTo(2);
        assertThat(port.err()).contains("--monitor-port");
    }

    @Test
    void rejectsUnparseableAndUnknownFlags() {
        assertThat(run("demo", "--tokens", "many").err()).contains("--tokens").contains("many");
        assertThat(run("demo", "--bogus").err()).contains("Unknown option: '--bogus'");
        assertThat(run("demo", "--architecture", "gated").err())
                .contains("--architecture must be topk, batchtopk or matryoshka-batchtopk (got gated)");
    }

    @Test
    void helpDescribesEveryOptionWithItsDefault() {
        Run r = run("demo", "--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("--tokens").contains("default: 200000").contains("--hookpoint")
                .contains("default: blocks.3.hook_resid_post").contains("--bootstrap")
                .contains("--architecture").contains("default: topk").contains("--matryoshka-prefixes");
    }
}
