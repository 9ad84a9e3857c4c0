package dev.livesae.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import dev.livesae.kafka.test.KafkaBrokerExtension;
import dev.livesae.trainer.checkpoint.CheckpointStore;
import dev.livesae.trainer.checkpoint.TrainerState;
import dev.livesae.wire.ActivationBatch;
import dev.livesae.wire.ActivationBatchCodec;
import dev.livesae.wire.CodeBatchCodec;
import dev.livesae.wire.Topics;
import dev.livesae.wire.WireAllocator;

/**
 * Exactly-once model state on the real broker: the trainer runs as a child JVM ({@code sae train}'s main) and
 * is killed abruptly ({@code destroyForcibly}, SIGKILL: no shutdown hook, no final checkpoint) at several
 * points, then once with SIGTERM, then runs to completion. Every produced token must be trained exactly once:
 * the checkpoint's ledger (count + order-independent checksums of (sequence_id, position)) equals the ledger
 * of what was produced.
 */
class CrashRecoveryTest {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    static final int RECORDS = 1000;
    static final int ROWS = 64;
    static final int PARTITIONS = 2;

    Path dir;
    Path logs;
    String topic;

    Process launch(int run) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "--add-opens=java.base/java.nio=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"),
                TrainCommand.class.getName(),
                "--bootstrap", KAFKA.bootstrapServers(), "--topic", topic, "--checkpoint-dir", dir.toString(),
                "--d-sae", "" + Synthetic.N, "--k", "" + Synthetic.K, "--batch", "64", "--shuffle-buffer", "256",
                "--checkpoint-every-tokens", "4096", "--promote-every", "8192", "--lr", "0.002",
                "--warmup-steps", "5", "--progress-every-seconds", "1",
                "--max-tokens", "" + (long) RECORDS * ROWS));
        return new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(logs.resolve("run-" + run + ".log").toFile()).start();
    }

    long latestStep() {
        try {
            Path latest = dir.resolve(CheckpointStore.LATEST);
            if (!Files.exists(latest)) {
                return -1;
            }
            String name = Files.readString(latest, StandardCharsets.UTF_8).trim();
            return CheckpointStore.stepOf(dir.resolve(name));
        } catch (Exception e) {
            return -1; // mid-rename: try again
        }
    }

    /** Waits until LATEST reaches {@code step} (or the child exits); true if it got there while alive. */
    boolean awaitStep(Process p, long step) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            if (latestStep() >= step) {
                return p.isAlive();
            }
            if (!p.isAlive()) {
                return false;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("LATEST never reached step " + step + " (at " + latestStep() + ")");
    }

    String log(int run) throws Exception {
        return Files.readString(logs.resolve("run-" + run + ".log"));
    }

    @Test
    void abruptKillsNeitherLoseNorRepeatAToken(@TempDir Path tmp) throws Exception {
        dir = tmp.resolve("ck");
        logs = Files.createDirectories(Path.of("target", "crash-test-logs")); // kept for post-mortems
        String hook = KafkaSupport.unique("crash");
        topic = Topics.activations("synthetic", hook);
        KAFKA.createTopic(topic, PARTITIONS);
        TokenLedger.Builder produced = new TokenLedger.Builder();
        Synthetic data = new Synthetic("synthetic", hook, 13L);
        try (BufferAllocator alloc = WireAllocator.root().newChildAllocator("crash-test", 0, Long.MAX_VALUE);
             ActivationBatchCodec codec = new ActivationBatchCodec(alloc);
             KafkaProducer<byte[], byte[]> producer = KafkaSupport.producer(KAFKA.bootstrapServers())) {
            for (int i = 0; i < RECORDS; i++) {
                ActivationBatch b = data.next(ROWS);
                for (int r = 0; r < ROWS; r++) {
                    produced.add(b.sequenceIds()[r], b.positions()[r]);
                }
                producer.send(new ProducerRecord<>(topic, i % PARTITIONS, null, codec.encode(b)));
            }
            producer.flush();
        }

        int hardKills = 0;
        int run = 0;
        // kill 1: just after the first training checkpoint; kill 2: later on; kill 3: 150 ms after a checkpoint
        // appears, which lands anywhere (often during the next write, leaving a half-written temp dir)
        long[] killAfterMoreSteps = {1, 120, 60};
        for (long more : killAfterMoreSteps) {
            long from = Math.max(0, latestStep());
            Process p = launch(++run);
            if (awaitStep(p, from + more)) {
                if (more == 60) {
                    Thread.sleep(150);
                }
                p.destroyForcibly();
                assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
                hardKills++;
            } else {
                assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            }
        }
        // SIGTERM: the shutdown hook writes a final checkpoint
        long before = latestStep();
        Process term = launch(++run);
        if (awaitStep(term, before + 40)) {
            term.destroy();
            assertThat(term.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(log(run)).contains("shutdown requested", "(final)");
        }
        Process last = launch(++run);
        assertThat(last.waitFor(120, TimeUnit.SECONDS)).as("final run finishes").isTrue();
        assertThat(last.exitValue()).as(log(run)).isZero();

        assertThat(hardKills).as("hard kills that hit a running trainer").isGreaterThanOrEqualTo(2);
        for (int r = 2; r <= run; r++) {
            assertThat(log(r)).as("run " + r).contains("resumed from");
        }
        TrainerState state = TrainerState.read(new CheckpointStore(dir).latest().orElseThrow());
        long total = (long) RECORDS * ROWS;
        assertThat(state.trained().count()).isEqualTo(total);
        assertThat(state.trained()).isEqualTo(produced.build());   // each produced token trained exactly once
        assertThat(state.consumed()).isEqualTo(produced.build());
        assertThat(state.skippedStep()).isEqualTo(TokenLedger.EMPTY);
        assertThat(state.offsets()).containsEntry(0, (long) RECORDS / PARTITIONS)
                .containsEntry(1, (long) RECORDS / PARTITIONS);
        try (var s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".tmp"))).isEmpty();
        }
        assertThat(new CheckpointStore(dir).stepDirs()).hasSizeLessThanOrEqualTo(2);

        // codes are at-least-once: every record has codes (a replay after a kill may repeat some)
        List<ConsumerRecord<byte[], byte[]>> codes = KafkaSupport.readAll(KAFKA.bootstrapServers(),
                Topics.codes("synthetic", hook), RECORDS);
        Set<Long> sequences = new HashSet<>();
        try (BufferAllocator alloc = WireAllocator.root().newChildAllocator("crash-codes", 0, Long.MAX_VALUE);
             CodeBatchCodec codec = new CodeBatchCodec(alloc)) {
            for (ConsumerRecord<byte[], byte[]> c : codes) {
                sequences.add(codec.decode(c.value()).sequenceIds()[0]);
            }
        }
        assertThat(sequences).hasSize(RECORDS);
        System.out.printf("crash test: %d runs, %d hard kills, %d code records for %d activation records%n", run,
                hardKills, codes.size(), RECORDS);
    }
}
