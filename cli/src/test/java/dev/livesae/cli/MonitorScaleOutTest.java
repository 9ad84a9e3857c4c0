package dev.livesae.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livesae.kafka.test.KafkaBrokerExtension;
import dev.livesae.kafka.test.TopicRecords;
import dev.livesae.wire.CodeBatch;
import dev.livesae.wire.CodeBatchSerializer;
import dev.livesae.wire.CodeMeta;
import dev.livesae.wire.Topics;
import dev.livesae.wire.WireAllocator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two monitor instances (child JVMs, one application id) reading code topics of one partition each, as the
 * trainer creates them, through {@code --topic-pattern}: the work follows SAEs (the by-SAE repartition), so both
 * instances are busy; after one is SIGKILLed the other takes every SAE over with its state restored, and every
 * window of every SAE is in the windows topic exactly once.
 */
class MonitorScaleOutTest {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension(KafkaBrokerExtension.Mode.PER_CLASS);

    static final int SAE_PARTITIONS = 8; // MonitorOptions.DEFAULT_SAE_PARTITIONS, what MonitorChild runs with
    static final int WINDOW = 500;
    static final int ROWS = 100;
    static final int K = 4;
    static final int D_SAE = 64;

    @TempDir
    Path dir;
    final List<Process> children = new ArrayList<>();

    @AfterEach
    void killChildren() {
        children.forEach(Process::destroyForcibly);
    }

    @Test
    void twoInstancesShareTheSaesAndTheSurvivorTakesAllOverWithoutLosingOrRecountingAWindow() throws Exception {
        String model = "scale" + Long.toHexString(System.nanoTime());
        List<String> hooks = List.of("h1", "h2");
        // one SAE per by-SAE partition, so each of the 8 tasks holds exactly one SAE whatever the assignment
        Map<String, String> saeHook = saesCoveringEveryPartition(hooks);
        for (String h : hooks) {
            KAFKA.createTopic(Topics.codes(model, h), 1);
            KAFKA.createTopic(Topics.windows(model, h), 1);
        }
        String app = "scale-out-" + model;
        long[] sequence = {0};
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            publish(producer, model, saeHook, 2 * WINDOW, sequence); // two windows per SAE before anyone runs
        }

        Process a = launch(model, app, "a");
        Process b = launch(model, app, "b");
        int portA = httpPort("a");
        int portB = httpPort("b");
        // both busy: each has counted at least two windows' worth of the SAEs it owns
        Await.until(Duration.ofSeconds(120), "both instances counted tokens",
                () -> tokens(portA) >= 2 * WINDOW && tokens(portB) >= 2 * WINDOW);
        double beforeKillA = tokens(portA);
        double beforeKillB = tokens(portB);
        System.out.printf("scale-out: before the kill instance a counted %.0f tokens, instance b %.0f (of %d)%n",
                beforeKillA, beforeKillB, saeHook.size() * 2 * WINDOW);

        a.destroyForcibly(); // SIGKILL: no commit, no leave-group
        assertThat(a.waitFor(30, TimeUnit.SECONDS)).isTrue();
        long killedAt = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            publish(producer, model, saeHook, 2 * WINDOW, sequence); // two more windows per SAE, all for b now
        }
        int expectedWindows = saeHook.size() * 4;
        Await.until(Duration.ofSeconds(180), "all " + expectedWindows + " windows",
                () -> windows(model, saeHook).size() >= expectedWindows);
        double takeover = (System.nanoTime() - killedAt) / 1e9;
        Thread.sleep(1500); // anything counted twice would show up now
        List<JsonNode> windows = windows(model, saeHook);
        System.out.printf("scale-out: %d SAEs, 2 instances, %d windows; after the SIGKILL instance b counted %.0f tokens; "
                + "all windows committed %.1f s after the kill%n", saeHook.size(), windows.size(), tokens(portB), takeover);

        assertThat(windows).as("every window once").hasSize(expectedWindows);
        Map<String, TreeSet<Long>> indexes = new HashMap<>();
        Map<String, Long> tokensPerSae = new HashMap<>();
        for (JsonNode w : windows) {
            String sae = w.get("saeId").asText();
            assertThat(indexes.computeIfAbsent(sae, s -> new TreeSet<>()).add(w.get("windowIndex").asLong()))
                    .as("window %s of %s once", w.get("windowIndex"), sae).isTrue();
            tokensPerSae.merge(sae, w.get("tokens").asLong(), Long::sum);
        }
        assertThat(indexes.keySet()).containsExactlyInAnyOrderElementsOf(saeHook.keySet());
        indexes.values().forEach(ix -> assertThat(ix).containsExactly(0L, 1L, 2L, 3L));
        tokensPerSae.values().forEach(t -> assertThat(t).isEqualTo(4L * WINDOW));
        assertThat(tokens(portB)).as("the survivor counted more after taking over").isGreaterThan(beforeKillB);
        assertThat(b.isAlive()).isTrue();
    }

    /** SAE ids (with their hookpoint) whose store keys hash to every partition of the by-SAE topic once. */
    static Map<String, String> saesCoveringEveryPartition(List<String> hooks) {
        Map<Integer, String> byPartition = new LinkedHashMap<>();
        Map<String, String> saeHook = new LinkedHashMap<>();
        for (int i = 0; byPartition.size() < SAE_PARTITIONS; i++) {
            String sae = "sae-" + i;
            String hook = hooks.get(i % hooks.size());
            String storeKey = new dev.livesae.monitor.StreamKey(sae, hook).storeKey();
            int p = Utils.toPositive(Utils.murmur2(storeKey.getBytes(StandardCharsets.UTF_8))) % SAE_PARTITIONS;
            if (byPartition.putIfAbsent(p, sae) == null) {
                saeHook.put(sae, hook);
            }
        }
        return saeHook;
    }

    static void publish(KafkaProducer<byte[], byte[]> producer, String model, Map<String, String> saeHook, int tokensPerSae,
                        long[] sequence) {
        try (CodeBatchSerializer serializer = new CodeBatchSerializer(WireAllocator.root())) {
            for (int done = 0; done < tokensPerSae; done += ROWS) {
                for (Map.Entry<String, String> e : saeHook.entrySet()) {
                    CodeMeta meta = new CodeMeta(e.getKey(), 0, model, e.getValue(), 16, D_SAE, K);
                    String topic = Topics.codes(model, e.getValue());
                    producer.send(new ProducerRecord<>(topic, e.getKey().getBytes(StandardCharsets.UTF_8),
                            serializer.serialize(topic, batch(meta, sequence[0]++))));
                }
            }
            producer.flush();
        }
    }

    /** ROWS tokens of one sequence, each firing K latents chosen from its position and the sequence. */
    static CodeBatch batch(CodeMeta meta, long seq) {
        long[] seqs = new long[ROWS];
        int[] positions = new int[ROWS];
        int[] tokenIds = new int[ROWS];
        int[] latents = new int[ROWS * K];
        float[] values = new float[ROWS * K];
        float[] recon = new float[ROWS];
        float[] norm = new float[ROWS];
        for (int r = 0; r < ROWS; r++) {
            seqs[r] = seq;
            positions[r] = r;
            tokenIds[r] = 1000 + r;
            for (int j = 0; j < K; j++) {
                latents[r * K + j] = (int) ((seq * 7 + r + j * (D_SAE / K)) % D_SAE);
                values[r * K + j] = 1f + j;
            }
            recon[r] = 0.1f;
            norm[r] = 1f;
        }
        return new CodeBatch(meta, seqs, positions, tokenIds, latents, values, recon, norm);
    }

    Process launch(String model, String app, String instance) throws Exception {
        Path log = dir.resolve("monitor-" + instance + ".log");
        Process p = ChildJvm.start(MonitorChild.class.getName(), "384m", log,
                KAFKA.bootstrapServers(), "pattern:codes\\." + model + "\\..*", app,
                dir.resolve("state-" + instance).toString(), Integer.toString(WINDOW), instance);
        children.add(p);
        return p;
    }

    int httpPort(String instance) throws Exception {
        Path log = dir.resolve("monitor-" + instance + ".log");
        Pattern port = Pattern.compile("http port (\\d+)");
        int[] found = {-1};
        Await.until(Duration.ofSeconds(120), "monitor " + instance + " started", () -> {
            try {
                Matcher m = port.matcher(Files.exists(log) ? Files.readString(log) : "");
                if (m.find()) {
                    found[0] = Integer.parseInt(m.group(1));
                }
            } catch (java.io.IOException e) {
                return false;
            }
            return found[0] > 0;
        });
        return found[0];
    }

    /** Tokens this instance counted since it started ({@code livesae_monitor_tokens_total}, summed over streams). */
    static double tokens(int port) {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            return r.body().lines().filter(l -> l.startsWith("livesae_monitor_tokens_total{"))
                    .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
        } catch (Exception e) {
            return -1; // a killed instance
        }
    }

    /** The windows topics' records (read_committed): waits up to 60 s per hookpoint for 4 windows per SAE, then reads on. */
    static List<JsonNode> windows(String model, Map<String, String> saeHook) {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> out = new ArrayList<>();
        for (String h : new TreeSet<>(saeHook.values())) {
            int expected = 4 * (int) saeHook.values().stream().filter(h::equals).count();
            for (var r : TopicRecords.readAll(KAFKA.bootstrapServers(), Topics.windows(model, h), expected, IsolationLevel.READ_COMMITTED,
                    new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                    new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
                try {
                    out.add(json.readTree(r.value()));
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return out;
    }

    static KafkaProducer<byte[], byte[]> producer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

}
