package dev.livesae.trainer.bench;

import java.util.Map;
import dev.livesae.service.KafkaOptions;
import dev.livesae.clients.KafkaClientConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import dev.livesae.clients.TopicAdmin;
import dev.livesae.clients.TopicSettings;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import dev.livesae.engine.SaeConfig;
import dev.livesae.engine.Seeds;
import dev.livesae.engine.bench.SaeShapeOptions;
import dev.livesae.engine.synthetic.SyntheticFeatures;
import dev.livesae.kafka.local.BrokerOptions;
import dev.livesae.kafka.local.EmbeddedKafkaBroker;
import dev.livesae.trainer.TrainerOptions;
import dev.livesae.trainer.TrainerProgress;
import dev.livesae.trainer.TrainerService;
import dev.livesae.trainer.TrainingLoop;
import dev.livesae.wire.ActivationBatch;
import dev.livesae.wire.ActivationBatchCodec;
import dev.livesae.wire.ActivationMeta;
import dev.livesae.wire.Topics;
import dev.livesae.wire.WireAllocator;

/**
 * {@code sae bench kafka-trainer}: training throughput through Kafka (consume, decode, shuffle, train, codes out)
 * against the in-memory engine loop (shuffle, train) on the same shapes and the same synthetic superposition
 * data. The batches are published before the clock starts; the Kafka figure is timed from the first trained
 * record to the end of the final drain (the version-0 and final checkpoints are outside the window and are
 * reported separately). The last line is JSON.
 */
@Command(name = "kafka-trainer", mixinStandardHelpOptions = true,
        description = "Tokens/s of the online trainer through Kafka vs the in-memory engine loop, same shapes and data.")
public final class KafkaTrainerBench implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    SaeShapeOptions shape;

    @Option(names = "--tokens", defaultValue = "65536",
            description = "Tokens trained per path (rounded up to whole records) (default: ${DEFAULT-VALUE}).")
    long tokens;

    @Option(names = "--record-rows", defaultValue = "1024",
            description = "Rows per Kafka record / ActivationBatch (default: ${DEFAULT-VALUE}).")
    int recordRows;

    @Option(names = "--shuffle-buffer", defaultValue = "8192",
            description = "Shuffle buffer rows, same for both paths (default: ${DEFAULT-VALUE}).")
    int shuffleBuffer;

    @Option(names = "--partitions", defaultValue = "1", description = "Partitions of the bench topic (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--no-codes", description = "Do not encode and publish codes in the Kafka path (default: codes on).")
    boolean noCodes;

    @Option(names = "--codes-sample", defaultValue = "1",
            description = "Codes of one token in N in the Kafka path, as sae train --codes-sample (default: ${DEFAULT-VALUE}).")
    int codesSample;

    @Option(names = "--rounds", defaultValue = "1",
            description = "Alternate in-memory and Kafka runs this many times and report the best of each "
                    + "(default: ${DEFAULT-VALUE}).")
    int rounds;

    /** --bootstrap: use this Kafka instead of an embedded broker started in-process; --kafka-config, --kafka-property */
    @Mixin
    KafkaOptions kafkaOptions = new KafkaOptions();

    @Option(names = "--seed", defaultValue = "1", description = "Seed of data, SAE and shuffle (default: ${DEFAULT-VALUE}).")
    long seed;

    public static void main(String[] args) {
        System.exit(new CommandLine(new KafkaTrainerBench()).execute(args));
    }

    private void require(boolean ok, String message) {
        if (!ok) {
            throw new CommandLine.ParameterException(spec.commandLine(), message);
        }
    }

    @Override
    public Integer call() throws Exception {
        shape.validate(spec.commandLine(), 1);
        require(tokens >= shape.batch, "--tokens must be >= --batch (got " + tokens + ")");
        require(recordRows >= 1 && (long) recordRows * shape.d * 4 <= 30L << 20,
                "--record-rows must be >= 1 and make records <= 30 MiB (got " + recordRows + ")");
        require(shuffleBuffer >= 0, "--shuffle-buffer must be >= 0 (got " + shuffleBuffer + ")");
        require(partitions >= 1, "--partitions must be >= 1 (got " + partitions + ")");
        require(codesSample >= 1 && codesSample <= TrainerOptions.MAX_CODES_SAMPLE, "--codes-sample must be in [1, "
                + TrainerOptions.MAX_CODES_SAMPLE + "] (got " + codesSample + ")");
        require(rounds >= 1, "--rounds must be >= 1 (got " + rounds + ")");

        int records = (int) ((tokens + recordRows - 1) / recordRows);
        long total = (long) records * recordRows;
        int features = 4 * shape.d;
        SyntheticFeatures gen = new SyntheticFeatures(shape.d, features, 0.5, Math.min(1.0, shape.k / (double) features), 0.01f, seed);
        String data = String.format(Locale.ROOT, "synthetic superposition activations (SyntheticFeatures d=%d m=%d "
                + "alpha=0.5 mean active features=%.1f seed=%d), %d distinct records of %d rows cycled", shape.d, features,
                gen.expectedL0(), seed, Math.min(records, 16), recordRows);
        System.out.println("data: " + data);
        ActivationMeta meta = new ActivationMeta("bench", "kafka-trainer", shape.d);
        List<float[]> pool = new ArrayList<>();
        for (int i = 0; i < Math.min(records, 16); i++) {
            pool.add(gen.next(recordRows));
        }
        SaeConfig cfg = options(KafkaClientConfig.of("127.0.0.1:1"), "t", Path.of("unused")).build().saeConfig(shape.d);

        EmbeddedKafkaBroker broker = null;
        try {
            // the broker starts first, so both paths share the JVM with it
            KafkaClientConfig servers;
            if (kafkaOptions.given()) {
                servers = kafkaOptions.clientConfig();
            } else {
                broker = EmbeddedKafkaBroker.start(BrokerOptions.defaults());
                servers = KafkaClientConfig.of(broker.bootstrapServers());
            }
            // untimed warm-up, so neither path pays for JIT and native initialisation
            try (TrainingLoop warm = TrainingLoop.create(cfg, shape.batch, 0, seed, pool.get(0), recordRows)) {
                for (int i = 0; i < Math.max(1, shape.batch / recordRows); i++) {
                    offer(warm, batchOf(meta, pool, i));
                }
            }
            List<Run> mem = new ArrayList<>();
            List<Run> kafka = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                Run m = inMemory(cfg, meta, pool, records, total);
                mem.add(m);
                System.out.printf(Locale.ROOT, "round %d in-memory: %d tokens in %.2f s = %.0f tokens/s (engine steps %.2f s)%n",
                        round, total, m.seconds, total / m.seconds, m.stepSeconds);
                Run kafkaRun = throughKafka(servers, meta, pool, records, total);
                kafka.add(kafkaRun);
                System.out.printf(Locale.ROOT, "round %d kafka:     %d tokens in %.2f s = %.0f tokens/s (engine steps %.2f s; "
                        + "codes %s; checkpoints outside the window %.2f s)%n", round, total, kafkaRun.seconds, total / kafkaRun.seconds,
                        kafkaRun.stepSeconds, noCodes ? "off" : codesSample == 1 ? "on" : "on, 1 token in " + codesSample, kafkaRun.checkpointSeconds);
            }
            Run m = mem.stream().min(Comparator.comparingDouble(Run::seconds)).orElseThrow();
            Run best = kafka.stream().min(Comparator.comparingDouble(Run::seconds)).orElseThrow();
            double memTps = total / m.seconds;
            double kafkaTps = total / best.seconds;
            double overhead = 100 * (1 - kafkaTps / memTps);
            // time on the training thread outside engine steps (consume, decode, shuffle, bookkeeping), beyond what
            // the in-memory loop spends outside its steps, relative to the in-memory wall time: the cost of the Kafka
            // path itself, insensitive to how fast the shared CPUs ran the engine in each run
            double outside = 100 * ((best.seconds - best.stepSeconds) - (m.seconds - m.stepSeconds)) / m.seconds;
            System.out.printf(Locale.ROOT, "best of %d: in-memory %.0f tokens/s, kafka %.0f tokens/s: kafka path cost %.1f %% of "
                    + "wall throughput, %.1f %% outside engine steps (target <= 10 %%); kafka engine steps %.2fx the "
                    + "in-memory ones%n", rounds, memTps, kafkaTps, overhead, outside, best.stepSeconds / m.stepSeconds);

            ObjectNode o = new ObjectMapper().createObjectNode();
            o.put("bench", "kafka-trainer");
            o.put("data", data);
            o.put("d", shape.d);
            o.put("n", shape.n);
            o.put("k", shape.k);
            o.put("batch", shape.batch);
            o.put("record_rows", recordRows);
            o.put("shuffle_buffer", shuffleBuffer);
            o.put("partitions", partitions);
            o.put("tokens", total);
            o.put("rounds", rounds);
            o.put("codes", !noCodes);
            o.put("codes_sample", noCodes ? 0 : codesSample);
            o.put("broker", kafkaOptions.given() ? kafkaOptions.clientConfig().bootstrap() : "embedded in-process");
            o.put("memory_tokens_per_s", round(memTps));
            o.put("kafka_tokens_per_s", round(kafkaTps));
            o.put("kafka_over_memory", round(kafkaTps / memTps));
            o.put("kafka_cost_percent", round(overhead));
            o.put("kafka_cost_percent_outside_engine_steps", round(outside));
            o.put("memory_seconds", round(m.seconds));
            o.put("kafka_seconds", round(best.seconds));
            o.put("memory_engine_step_seconds", round(m.stepSeconds));
            o.put("kafka_engine_step_seconds", round(best.stepSeconds));
            o.put("checkpoint_seconds_outside_window", round(best.checkpointSeconds));
            o.put("code_batches", best.codeBatches);
            o.put("available_processors", Runtime.getRuntime().availableProcessors());
            o.put("java", System.getProperty("java.version"));
            System.out.println(o.toString());
        } finally {
            if (broker != null) {
                broker.close();
            }
        }
        return 0;
    }

    /** One timed run: wall seconds, seconds inside engine steps, checkpoint seconds (Kafka path), code batches. */
    private record Run(double seconds, double stepSeconds, double checkpointSeconds, long codeBatches) { }

    private Run inMemory(SaeConfig cfg, ActivationMeta meta, List<float[]> pool, int records, long total) {
        long[] stepNanos = {0};
        try (TrainingLoop loop = TrainingLoop.create(cfg, shape.batch, shuffleBuffer, Seeds.derive(seed, Seeds.TRAINER_SHUFFLE),
                pool.get(0),
                recordRows)) {
            loop.listener((r, rows, nanos) -> stepNanos[0] += nanos);
            long t0 = System.nanoTime();
            for (int i = 0; i < records; i++) {
                offer(loop, batchOf(meta, pool, i));
            }
            loop.drain();
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (loop.trained().count() != total) {
                throw new IllegalStateException("in-memory path trained " + loop.trained().count() + " of " + total);
            }
            return new Run(seconds, stepNanos[0] / 1e9, 0, 0);
        }
    }

    private Run throughKafka(KafkaClientConfig servers, ActivationMeta meta, List<float[]> pool, int records, long total)
            throws Exception {
        Path ckDir = Files.createTempDirectory("livesae-kafka-trainer-bench-");
        try {
            String topic = Topics.activations("bench", "kafka-trainer-" + UUID.randomUUID().toString().substring(0, 8));
            createTopic(servers, topic);
            publish(servers, topic, meta, pool, records); // untimed
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            TrainerService service = new TrainerService(options(servers, topic, ckDir).maxTokens(total).build(),
                    registry);
            service.onProgress(p -> System.out.println("  kafka: " + p.line()));
            TrainerProgress last = service.run();
            if (last.tokensTrained() != total) {
                throw new IllegalStateException("Kafka path trained " + last.tokensTrained() + " of " + total);
            }
            double step = registry.get("livesae.trainer.step.duration").timer()
                    .totalTime(java.util.concurrent.TimeUnit.NANOSECONDS) / 1e9;
            return new Run(last.trainingSeconds(), step, last.checkpointSeconds(), last.codeBatches());
        } finally {
            deleteTree(ckDir);
        }
    }

    private TrainerOptions.Builder options(KafkaClientConfig servers, String topic, Path ckDir) {
        // no periodic checkpoints or promotions inside the timed window: the same work as the in-memory loop
        // plus Kafka in, decode, and (unless --no-codes) codes out
        return TrainerOptions.builder(servers.bootstrap(), topic).kafkaProperties(servers.userProperties()).checkpointDir(ckDir).dSae(shape.n).k(shape.k).batch(shape.batch)
                .shuffleBuffer(shuffleBuffer).seed(seed).checkpointEveryTokens(0).checkpointEvery(Duration.ZERO)
                .promoteEvery(0).emitCodes(!noCodes).codesSample(codesSample).progressEvery(Duration.ofSeconds(10))
                .maxBatchRows(Math.max(recordRows, 1));
    }

    private static ActivationBatch batchOf(ActivationMeta meta, List<float[]> pool, int i) {
        int rows = pool.get(0).length / meta.dIn();
        long[] seq = new long[rows];
        int[] pos = new int[rows];
        for (int r = 0; r < rows; r++) {
            seq[r] = i;
            pos[r] = r;
        }
        return new ActivationBatch(meta, seq, pos, null, pool.get(i % pool.size()));
    }

    private static void offer(TrainingLoop loop, ActivationBatch b) {
        loop.offer(b.activations(), b.sequenceIds(), b.positions(), b.rows());
    }

    private void createTopic(KafkaClientConfig servers, String topic) throws Exception {
        try (Admin admin = Admin.create(servers.admin("livesae-bench-admin"))) {
            TopicAdmin.createTopic(admin, topic, new TopicSettings(java.util.Optional.of(partitions), java.util.Optional.empty()),
                    java.util.Map.of("max.message.bytes", Integer.toString(32 << 20)));
        }
    }

    private void publish(KafkaClientConfig servers, String topic, ActivationMeta meta, List<float[]> pool, int records) {
        Map<String, Object> p = servers.client("benchmark producer", "livesae-bench-producer", Map.of(
                ProducerConfig.LINGER_MS_CONFIG, "5",
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(32 << 20),
                ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(256L << 20)), Map.of(ProducerConfig.ACKS_CONFIG, "all"));
        try (BufferAllocator alloc = WireAllocator.root().newChildAllocator("kafka-trainer-bench", 0, Long.MAX_VALUE);
             ActivationBatchCodec codec = new ActivationBatchCodec(alloc);
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(),
                     new ByteArraySerializer())) {
            for (int i = 0; i < records; i++) {
                producer.send(new ProducerRecord<>(topic, i % partitions, null, codec.encode(batchOf(meta, pool, i))));
            }
            producer.flush();
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (java.io.IOException e) {
            // best effort: a temp dir
        }
    }

    private static double round(double v) {
        return Double.isFinite(v) ? Math.round(v * 1000) / 1000.0 : v;
    }
}
