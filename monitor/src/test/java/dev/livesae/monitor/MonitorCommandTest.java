package dev.livesae.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import dev.livesae.monitor.bench.MonitorBench;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MonitorCommandTest {

    private static MonitorCommand parsed(String... args) {
        MonitorCommand cmd = new MonitorCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd;
    }

    private static String rejection(String... args) {
        MonitorCommand cmd = new MonitorCommand();
        CommandLine cl = new CommandLine(cmd);
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute(args)).isEqualTo(2);
        return err.toString();
    }

    @Test
    void modelAndHookpointSelectTheCodesTopicAndDefaultsFollowTheWindow() {
        MonitorOptions o = parsed("--bootstrap", "127.0.0.1:9092", "--model", "all-MiniLM-L6-v2", "--hookpoint",
                "blocks.3.hook_resid_post", "--window-tokens", "1000").options();
        assertThat(o.topics()).containsExactly("codes.all-MiniLM-L6-v2.blocks.3.hook_resid_post");
        assertThat(o.baselineTokens()).isEqualTo(1000);
        assertThat(o.deadHorizonTokens()).isEqualTo(10_000);
        assertThat(o.denseThreshold()).isEqualTo(0.1);
        assertThat(o.metricsPort()).isEqualTo(9403);
        assertThat(o.metricsHost()).isEqualTo("127.0.0.1");
        assertThat(o.stateDir()).isNull();
    }

    @Test
    void contextsFlagsSetWhatIsStoredAndForHowLong() {
        MonitorOptions o = parsed("--bootstrap", "h:1", "--topic", "t").options();
        assertThat(o.contexts()).isEqualTo(ContextOptions.DEFAULTS);
        o = parsed("--bootstrap", "h:1", "--topic", "t", "--contexts", "off", "--context-retention", "12h",
                "--context-examples", "5").options();
        assertThat(o.contexts().enabled()).isFalse();
        assertThat(o.contexts().retention()).isEqualTo(java.time.Duration.ofHours(12));
        assertThat(o.contexts().topExamples()).isEqualTo(5);
        assertThat(rejection("--bootstrap", "h:1", "--topic", "t", "--contexts", "maybe")).contains("--contexts must be on or off");
        assertThat(rejection("--bootstrap", "h:1", "--topic", "t", "--context-retention", "soon")).contains("--context-retention");
        assertThat(rejection("--bootstrap", "h:1", "--topic", "t", "--context-examples", "0")).contains("--context-examples");
    }

    @Test
    void bindingBeyondLoopbackWithContextsNeedsCredentialsFromAFileOrTheEnvironment(@org.junit.jupiter.api.io.TempDir
                                                                                       java.nio.file.Path dir) throws Exception {
        assertThat(rejection("--bootstrap", "h:1", "--topic", "t", "--metrics-host", "0.0.0.0"))
                .contains("--metrics-host 0.0.0.0 is not a loopback address").contains(dev.livesae.service.HttpAuth.FILE_FLAG)
                .contains("--contexts off");
        assertThat(parsed("--bootstrap", "h:1", "--topic", "t", "--metrics-host", "0.0.0.0", "--contexts", "off")
                .options().httpAuth()).isNull();
        java.nio.file.Path file = dir.resolve("cred");
        java.nio.file.Files.writeString(file, "bearer 0123456789abcdef");
        assertThat(parsed("--bootstrap", "h:1", "--topic", "t", "--metrics-host", "0.0.0.0",
                dev.livesae.service.HttpAuth.FILE_FLAG, file.toString()).options().httpAuth().scheme()).isEqualTo("Bearer");
        MonitorCommand fromEnv = parsed("--bootstrap", "h:1", "--topic", "t", "--metrics-host", "0.0.0.0");
        fromEnv.environment = java.util.Map.of(dev.livesae.service.HttpAuth.ENV, "basic ops:long-enough-password");
        assertThat(fromEnv.options().httpAuth().scheme()).isEqualTo("Basic");
    }

    @Test
    void topicPatternIsAccepted() {
        MonitorOptions o = parsed("--bootstrap", "h:1", "--topic-pattern", "codes\\..*").options();
        assertThat(o.topicPattern()).isEqualTo("codes\\..*");
        assertThat(o.topics()).isEmpty();
    }

    @Test
    void badValuesAreRejectedNamingTheFlag() {
        assertThat(rejection("--bootstrap", "h:1", "--topic", "t", "--window-tokens", "0")).contains("--window-tokens must be >= 1 (got 0)");
        assertThat(rejection("--bootstrap", "h:1", "--topic", "t", "--dense-threshold", "1.5")).contains("--dense-threshold must be in (0, 1) (got 1.5)");
        assertThat(rejection("--bootstrap", "h:1", "--topic", "t", "--metrics-port", "70000")).contains("--metrics-port");
        assertThat(rejection("--bootstrap", "h:1", "--topic", "t", "--top-n", "0")).contains("--top-n");
        assertThat(rejection("--bootstrap", "h:1", "--topic", "t", "--baseline-tokens", "-5")).contains("--baseline-tokens");
        assertThat(rejection("--bootstrap", "h:1", "--topic", "t", "--dead-horizon-tokens", "0")).contains("--dead-horizon-tokens");
        assertThat(rejection("--bootstrap", "h:1", "--topic-pattern", "codes[")).contains("--topic-pattern must be a regular expression");
        assertThat(rejection("--bootstrap", "h:1", "--topic", "t", "--baseline-file", "/no/such/file.json")).contains("--baseline-file");
        assertThat(rejection("--bootstrap", "h:1", "--topic", "t", "--max-saes", "0")).contains("--max-saes must be in [1, 100000] (got 0)");
        assertThat(rejection("--bootstrap", "h:1", "--topic", "t", "--max-record-bytes", "100")).contains("--max-record-bytes must be in [1024,");
        assertThat(rejection("--bootstrap", "h:1", "--topic", "t", "--max-d-sae", "0")).contains("--max-d-sae must be >= 1 (got 0)");
        assertThat(rejection("--bootstrap", "h:1", "--topic", "t", "--max-k", "-1")).contains("--max-k must be >= 1 (got -1)");
    }

    @Test
    void inputCapsReachTheDecodeLimits() {
        MonitorOptions defaults = parsed("--bootstrap", "h:1", "--topic", "t").options();
        assertThat(defaults.maxSaes()).isEqualTo(64);
        assertThat(defaults.decodeLimits().allowEmpty()).isFalse();
        assertThat(defaults.decodeLimits().maxDSae()).isEqualTo(1 << 20);
        MonitorOptions o = parsed("--bootstrap", "h:1", "--topic", "t", "--max-saes", "3", "--max-record-bytes", "4096",
                "--max-d-sae", "512", "--max-k", "16").options();
        assertThat(o.maxSaes()).isEqualTo(3);
        assertThat(o.decodeLimits().maxRecordBytes()).isEqualTo(4096);
        assertThat(o.decodeLimits().maxDSae()).isEqualTo(512);
        assertThat(o.decodeLimits().maxK()).isEqualTo(16);
    }

    @Test
    void driftFlagsSetTheDecisionAndBadValuesAreRejectedNamingTheFlag() {
        MonitorOptions defaults = parsed("--bootstrap", "h:1", "--topic", "t").options();
        assertThat(defaults.drift()).isEqualTo(DriftOptions.DEFAULTS);
        MonitorOptions o = parsed("--bootstrap", "h:1", "--topic", "t", "--drift-false-alarm-rate", "1e-4",
                "--drift-baseline-windows", "6", "--drift-movers", "3").options();
        assertThat(o.drift()).isEqualTo(new DriftOptions(1e-4, 6, 3));
        assertThat(rejection("--bootstrap", "h:1", "--topic", "t", "--drift-false-alarm-rate", "0"))
                .contains("--drift-false-alarm-rate must be in (0, 0.5] (got 0.0)");
        assertThat(rejection("--bootstrap", "h:1", "--topic", "t", "--drift-false-alarm-rate", "0.7")).contains("--drift-false-alarm-rate");
        assertThat(rejection("--bootstrap", "h:1", "--topic", "t", "--drift-baseline-windows", "101"))
                .contains("--drift-baseline-windows must be in [0, 100] (got 101)");
        assertThat(rejection("--bootstrap", "h:1", "--topic", "t", "--drift-movers", "-1")).contains("--drift-movers");
        String help = new CommandLine(new MonitorCommand()).getUsageMessage().replaceAll("\\s+", " ");
        assertThat(help).contains("--drift-false-alarm-rate", "(default: 0.001)", "--drift-baseline-windows", "--drift-movers");
    }

    @Test
    void exactlyOneSourceMustBeGiven() {
        assertThat(rejection("--bootstrap", "h:1")).contains("exactly one of --model/--hookpoint, --topic and --topic-pattern");
        assertThat(rejection("--bootstrap", "h:1", "--topic", "t", "--topic-pattern", "x")).contains("exactly one of");
        assertThat(rejection("--bootstrap", "h:1", "--model", "m")).contains("--model and --hookpoint must be given together");
    }

    @Test
    void helpDescribesEveryOptionWithItsDefault() {
        String help = new CommandLine(new MonitorCommand()).getUsageMessage().replaceAll("\\s+", " ");
        for (String flag : List.of("--bootstrap", "--model", "--hookpoint", "--topic", "--topic-pattern", "--window-tokens",
                "--baseline-tokens", "--dead-horizon-tokens", "--dense-threshold", "--top-n", "--baseline-file",
                "--state-dir", "--application-id", "--metrics-port", "--metrics-host", "--max-saes", "--max-record-bytes",
                "--max-d-sae", "--max-k", "--help", "--version")) {
            assertThat(help).contains(flag);
        }
        assertThat(help).contains("(default: 9403)", "(default: 50000)", "(default: 0.1)", "(default: 127.0.0.1)",
                "(default: W)", "(default: 10 x W)", "(default: 20)", "(default: livesae-monitor)", "(default: 64)",
                "(default: 268435456)", "(default: 1048576)", "(default: 4096)");
    }

    @Test
    void optionsRecordRejectsBadValuesNamingTheFlag() {
        assertThatThrownBy(() -> MonitorOptions.forTopics("h:1", List.of("t")).withWindowTokens(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--window-tokens");
        assertThatThrownBy(() -> MonitorOptions.forTopics(" ", List.of("t")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--bootstrap");
    }

    @Test
    void benchRejectsBadFlagsNamingThem() {
        CommandLine cl = new CommandLine(new MonitorBench());
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute("--k", "0", "--mode", "DRIVER")).isEqualTo(2);
        assertThat(err.toString()).contains("--k must be in [1, d_sae] (got 0)");
    }

    @Test
    void benchDriverModeReportsTokensPerSecondAsJson() throws Exception {
        MonitorBench bench = new MonitorBench();
        CommandLine cl = new CommandLine(bench);
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.out;
        System.setOut(new java.io.PrintStream(buf, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            assertThat(cl.execute("--d-sae", "512", "--k", "8", "--tokens", "4096", "--rows", "128",
                    "--window-tokens", "1024", "--mode", "DRIVER")).isZero();
        } finally {
            System.setOut(old);
        }
        String[] lines = buf.toString(java.nio.charset.StandardCharsets.UTF_8).trim().split("\n");
        var json = Json.MAPPER.readTree(lines[lines.length - 1]);
        assertThat(json.get("bench").asText()).isEqualTo("monitor");
        assertThat(json.get("driver_tokens_per_s").asDouble()).isPositive();
        assertThat(json.get("driver_windows").asLong()).isEqualTo(4);
        assertThat(json.get("broker_tokens_per_s").isNull()).isTrue();
        assertThat(json.get("noise_psi").asDouble()).isPositive().isLessThan(1.0);
    }
}
