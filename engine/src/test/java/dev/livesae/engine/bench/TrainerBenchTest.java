package dev.livesae.engine.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class TrainerBenchTest {

  @Test
  void printsProgressThenOneJsonLineWithPhaseTimes() throws Exception {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    int code;
    try (PrintStream p = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
      System.setOut(p);
      code = new CommandLine(new TrainerBench()).execute("--d", "16", "--n", "64", "--k", "4", "--batch", "64",
          "--steps", "3", "--warmup", "1");
    } finally {
      System.setOut(old);
    }
    assertThat(code).isZero();
    String[] lines = buf.toString(StandardCharsets.UTF_8).strip().split("\n");
    assertThat(lines[0]).contains("synthetic superposition");
    assertThat(lines).anyMatch(l -> l.startsWith("timed step"));
    JsonNode j = new ObjectMapper().readTree(lines[lines.length - 1]);
    assertThat(j.get("tokens_per_s").asDouble()).isPositive();
    assertThat(j.get("encoder_gflops").asDouble()).isPositive();
    for (String phase : new String[] {"encode", "topk", "decode", "backward", "optimizer"}) {
      assertThat(j.at("/ms/" + phase).isNumber()).as(phase).isTrue();
    }
    assertThat(j.get("data").asText()).contains("synthetic");
    assertThat(j.get("steps").asInt()).isEqualTo(3);
  }

  @Test
  void rejectsBadFlagsNamingTheFlag() {
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new TrainerBench());
    cl.setErr(new PrintWriter(err));
    assertThat(cl.execute("--k", "0", "--d", "8", "--n", "16")).isNotZero();
    assertThat(err.toString()).contains("--k must be");
    err.getBuffer().setLength(0);
    assertThat(cl.execute("--batch", "1")).isNotZero();
    assertThat(err.toString()).contains("--batch");
  }
}
