package dev.livesae.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/** docs/wire-format.md is the contract for other languages: its tables must say what this module does. */
class WireContractTest {
    private static final Path DOC = Path.of("..", "docs", "wire-format.md");

    private static List<String> section(String heading, String tableHeader) throws IOException {
        List<String> lines = Files.readAllLines(DOC);
        int at = lines.indexOf(heading);
        assertThat(at).as(heading + " in " + DOC).isNotNegative();
        int table = lines.subList(at, lines.size()).indexOf(tableHeader) + at;
        assertThat(table).as(tableHeader).isGreaterThan(at);
        List<String> rows = new ArrayList<>();
        for (int i = table + 2; i < lines.size() && lines.get(i).startsWith("|"); i++) {
            rows.add(lines.get(i));
        }
        return rows;
    }

    @Test
    void reasonTableListsEveryRejectReasonInDeclarationOrderAndNothingElse() throws IOException {
        Pattern first = Pattern.compile("^\\| `([A-Z_]+)` \\|");
        List<String> documented = new ArrayList<>();
        for (String row : section("## Validation and rejection reasons", "| reason | when |")) {
            Matcher m = first.matcher(row);
            assertThat(m.find()).as(row).isTrue();
            documented.add(m.group(1));
        }
        assertThat(documented).containsExactlyElementsOf(Arrays.stream(RejectReason.values()).map(Enum::name).toList());
    }

    @Test
    void capsTableStatesTheDefaultsTheCodecsUse() throws IOException {
        String caps = String.join("\n", section("### Caps", "| cap | default | checked against | reason | set with |"));
        assertThat(caps).contains(String.format("%,d", DecodeLimits.DEFAULT_MAX_RECORD_BYTES),
                String.format("%,d", DecodeLimits.DEFAULT_MAX_ROWS), String.format("%,d", DecodeLimits.DEFAULT_MAX_D_IN),
                String.format("%,d", DecodeLimits.DEFAULT_MAX_D_SAE), String.format("%,d", DecodeLimits.DEFAULT_MAX_K),
                IpcFrames.MAX_FIELDS + ", nested at most " + IpcFrames.MAX_DEPTH,
                String.format("%,d characters", ArrowCodec.MAX_METADATA_CHARS));
        for (String reason : List.of("RECORD_TOO_LARGE", "DECODED_TOO_LARGE", "OVERSIZED", "DIMENSION_TOO_LARGE", "TOO_MANY_SAES")) {
            assertThat(RejectReason.valueOf(reason)).isNotNull();
            assertThat(caps).contains("`" + reason + "`");
        }
        assertThat(caps).contains(DeserializerConfig.MAX_RECORD_BYTES, DeserializerConfig.MAX_ROWS,
                DeserializerConfig.MAX_D_IN, DeserializerConfig.MAX_D_SAE, DeserializerConfig.MAX_K);
    }
}
