package dev.livesae.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livesae.kafka.test.KafkaBrokerExtension;
import dev.livesae.monitor.MonitorCommand;
import dev.livesae.wire.Topics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** --topic-partitions / --topic-replication-factor reach every topic produce, train and monitor create. */
class TopicSettingsTest {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    private static Map<String, TopicDescription> describe(String... topics) throws Exception {
        try (Admin admin = Admin.create(KAFKA.clientConfig().admin("topic-settings-test"))) {
            return admin.describeTopics(List.of(topics)).allTopicNames().get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void produceTrainAndMonitorCreateTheirTopicsWithTheGivenPartitionCount(@TempDir Path dir) throws Exception {
        String model = "ts-" + Long.toHexString(System.nanoTime());
        String hook = "hook_synthetic";
        KafkaClientPropertiesTest.Run produce = KafkaClientPropertiesTest.sae("produce", "--bootstrap", KAFKA.bootstrapServers(),
                "--source", "synthetic", "--model", model, "--d-in", "16", "--features", "64", "--max-tokens", "512",
                "--progress-ms", "0", "--topic-partitions", "3", "--topic-replication-factor", "1");
        assertThat(produce.exit()).as(produce.err()).isZero();
        KafkaClientPropertiesTest.Run train = KafkaClientPropertiesTest.sae("train", "--bootstrap", KAFKA.bootstrapServers(),
                "--topic", Topics.activations(model, hook), "--checkpoint-dir", dir.resolve("ck").toString(),
                "--d-sae", "64", "--k", "4", "--batch", "256", "--shuffle-buffer", "0", "--max-tokens", "512",
                "--promote-every", "0", "--topic-partitions", "2");
        assertThat(train.exit()).as(train.err()).isZero();
        Map<String, TopicDescription> d = describe(Topics.activations(model, hook), Topics.codes(model, hook),
                Topics.deadLetter(Topics.activations(model, hook)));
        assertThat(d.get(Topics.activations(model, hook)).partitions()).hasSize(3);
        assertThat(d.get(Topics.codes(model, hook)).partitions()).hasSize(2);
        assertThat(d.get(Topics.deadLetter(Topics.activations(model, hook))).partitions()).hasSize(2);

        String monitored = Topics.codes(model + "-m", hook);
        MonitorCommand monitor = new MonitorCommand();
        StringWriter out = new StringWriter();
        CommandLine own = new CommandLine(monitor);
        own.setOut(new PrintWriter(out, true));
        own.setErr(new PrintWriter(out, true));
        CompletableFuture<Integer> running = CompletableFuture.supplyAsync(() -> own.execute("--bootstrap", KAFKA.bootstrapServers(),
                "--topic", monitored, "--application-id", "ts-monitor-" + model, "--metrics-port", "-1", "--topic-partitions", "4"));
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (!out.toString().contains("Ready") && !running.isDone() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(out.toString()).as("monitor output").contains("Ready");
            assertThat(describe(monitored).get(monitored).partitions()).as("the monitor's input topic it created").hasSize(4);
        } finally {
            monitor.requestStop();
        }
        assertThat(running.get()).isZero();
    }

    @Test
    void aReplicationFactorAboveTheBrokerCountIsOneLineNamingTheTopic() {
        KafkaClientPropertiesTest.Run produce = KafkaClientPropertiesTest.sae("produce", "--bootstrap", KAFKA.bootstrapServers(),
                "--source", "synthetic", "--model", "ts-rf", "--d-in", "16", "--max-tokens", "10", "--topic-replication-factor", "3");
        assertThat(produce.exit()).isEqualTo(Sae.EXIT_KAFKA_UNAVAILABLE);
        assertThat(produce.err().strip()).startsWith("sae produce: Kafka at ").contains("cannot create topic activations.ts-rf.")
                .contains("replication.factor=3").doesNotContain("\n");
    }

    @Test
    void anExistingTopicWithAnotherPartitionCountIsUsedAsItIsNeverAltered() throws Exception {
        String topic = "ts.existing-" + Long.toHexString(System.nanoTime());
        KAFKA.createTopic(topic, 1);
        dev.livesae.clients.TopicAdmin.createTopics(KAFKA.clientConfig(), List.of(topic),
                dev.livesae.clients.TopicSettings.fromFlags(3, 0, "--topic-partitions", "--topic-replication-factor"), Map.of());
        assertThat(describe(topic).get(topic).partitions()).hasSize(1);
    }

    @Test
    void badTopicFlagsAreRefusedNamingTheFlag() {
        KafkaClientPropertiesTest.Run r = KafkaClientPropertiesTest.sae("train", "--bootstrap", KAFKA.bootstrapServers(),
                "--topic", "x", "--checkpoint-dir", "/tmp/unused-ts", "--topic-partitions", "-1");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--topic-partitions must be 0 (the broker's num.partitions) or in [1, 100000] (got -1)");
        KafkaClientPropertiesTest.Run m = KafkaClientPropertiesTest.sae("monitor", "--bootstrap", KAFKA.bootstrapServers(),
                "--topic", "x", "--topic-replication-factor", "40000");
        assertThat(m.exit()).isEqualTo(2);
        assertThat(m.err()).contains("--topic-replication-factor must be 0");
    }
}
