package dev.livesae.trainer.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.livesae.kafka.test.KafkaBrokerExtension;
import picocli.CommandLine;

class KafkaTrainerBenchTest {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @Test
    void tinyShapeRunsBothPathsAndEndsWithJson() throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            code = new CommandLine(new KafkaTrainerBench()).execute("--d", "16", "--n", "64", "--k", "4",
                    "--batch", "256", "--tokens", "2048", "--record-rows", "128", "--shuffle-buffer", "512",
                    "--bootstrap", KAFKA.bootstrapServers());
        } finally {
            System.setOut(old);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(code).as(text).isZero();
        String[] lines = text.trim().split("\n");
        JsonNode json = new ObjectMapper().readTree(lines[lines.length - 1]);
        assertThat(json.get("bench").asText()).isEqualTo("kafka-trainer");
        assertThat(json.get("tokens").asLong()).isEqualTo(2048);
        assertThat(json.get("memory_tokens_per_s").asDouble()).isPositive();
        assertThat(json.get("kafka_tokens_per_s").asDouble()).isPositive();
        assertThat(json.get("code_batches").asLong()).isEqualTo(16);
        assertThat(json.get("data").asText()).startsWith("synthetic superposition activations");
    }

    @Test
    void rejectsBadFlagsNamingThem() {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new KafkaTrainerBench());
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute("--k", "0")).isEqualTo(2);
        assertThat(err.toString()).contains("--k must be in [1, --n] (got 0)");
        assertThat(cl.execute("--tokens", "10", "--batch", "64")).isEqualTo(2);
        assertThat(err.toString()).contains("--tokens must be >= --batch");
    }
}
