package dev.livesae.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every command reports a cluster that does not answer within 30 s, in one line naming the address, exit code 3. */
class UnreachableClusterTest {
    static final String NOWHERE = "127.0.0.1:1";

    @Test
    void everyCommandSaysInOneLineThatNothingAnswersAtTheBootstrapAddress(@TempDir Path dir) throws Exception {
        List<String[]> commands = List.of(
                new String[] {"produce", "--bootstrap", NOWHERE, "--source", "synthetic", "--max-tokens", "10"},
                new String[] {"train", "--bootstrap", NOWHERE, "--topic", "activations.m.h", "--checkpoint-dir", dir.resolve("ck").toString()},
                new String[] {"monitor", "--bootstrap", NOWHERE, "--model", "m", "--hookpoint", "h", "--metrics-port", "0"});
        long t0 = System.nanoTime();
        List<CompletableFuture<KafkaClientPropertiesTest.Run>> runs = commands.stream()
                .map(args -> CompletableFuture.supplyAsync(() -> KafkaClientPropertiesTest.sae(args))).toList();
        for (int i = 0; i < runs.size(); i++) {
            KafkaClientPropertiesTest.Run r = runs.get(i).get();
            String command = commands.get(i)[0];
            assertThat(r.exit()).as("%s exit code; stderr: %s", command, r.err()).isEqualTo(Sae.EXIT_KAFKA_UNAVAILABLE);
            List<String> lines = r.err().lines().filter(l -> !l.isBlank()).toList();
            assertThat(lines).as("%s stderr", command).hasSize(1);
            assertThat(lines.get(0)).startsWith("sae " + command + ": Kafka at " + NOWHERE + ": no broker answered");
        }
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("all three reported").isLessThan(Duration.ofSeconds(60));
    }
}
