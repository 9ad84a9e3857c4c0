package dev.livesae.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class LayeredDefaultsTest {

    private static int rowsSeenBy(LayeredDefaults defaults, String... args) {
        CommandLine cl = Sae.commandLine(defaults);
        CommandLine.ParseResult parsed = cl.parseArgs(args);
        CommandLine.ParseResult leaf = parsed;
        while (leaf.hasSubcommand()) {
            leaf = leaf.subcommand();
        }
        return leaf.matchedOptionValue("--rows", (Integer) leaf.commandSpec().findOption("--rows").getValue());
    }

    @Test
    void flagBeatsEnvironmentBeatsFileBeatsBuiltInDefault() {
        Properties file = new Properties();
        file.setProperty("bench.wire.rows", "300");
        assertThat(rowsSeenBy(new LayeredDefaults(Map.of(), new Properties()), "bench", "wire")).isEqualTo(1024);
        assertThat(rowsSeenBy(new LayeredDefaults(Map.of(), file), "bench", "wire")).isEqualTo(300);
        assertThat(rowsSeenBy(new LayeredDefaults(Map.of("SAE_BENCH_WIRE_ROWS", "200"), file), "bench", "wire")).isEqualTo(200);
        assertThat(rowsSeenBy(new LayeredDefaults(Map.of("SAE_BENCH_WIRE_ROWS", "200"), file), "bench", "wire", "--rows", "100"))
                .isEqualTo(100);
    }

    @Test
    void badValueFromEnvironmentIsRejectedNamingTheOption() {
        CommandLine cl = Sae.commandLine(new LayeredDefaults(Map.of("SAE_BENCH_WIRE_ROWS", "many"), new Properties()));
        assertThatThrownBy(() -> cl.parseArgs("bench", "wire"))
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--rows").hasMessageContaining("many");
    }

    @Test
    void readsTheFileNamedBySaeConfigAndRefusesAMissingOne(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("x.properties");
        Files.writeString(f, "bench.wire.rows = 77\n");
        assertThat(rowsSeenBy(LayeredDefaults.fromEnvironment(Map.of(LayeredDefaults.CONFIG_ENV, f.toString())), "bench", "wire"))
                .isEqualTo(77);
        assertThatThrownBy(() -> LayeredDefaults.fromEnvironment(Map.of(LayeredDefaults.CONFIG_ENV, dir.resolve("nope").toString())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SAE_CONFIG").hasMessageContaining("nope");
    }
}
