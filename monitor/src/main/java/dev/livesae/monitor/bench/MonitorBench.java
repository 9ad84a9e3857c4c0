package dev.livesae.monitor.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import dev.livesae.kafka.local.BrokerOptions;
import dev.livesae.kafka.local.EmbeddedKafkaBroker;
import dev.livesae.monitor.MonitorCommand;
import dev.livesae.monitor.MonitorMetrics;
import dev.livesae.monitor.MonitorOptions;
import dev.livesae.monitor.MonitorService;
import dev.livesae.monitor.MonitorTopology;
import dev.livesae.monitor.TelemetryListener;
import dev.livesae.monitor.WindowSummary;
import dev.livesae.wire.CodeBatch;
import dev.livesae.wire.CodeBatchSerde;
import dev.livesae.wire.CodeMeta;
import dev.livesae.wire.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sae bench monitor}: code tokens per second through the production topology ({@link MonitorTopology#build}),
 * on {@code TopologyTestDriver} (decode, windows, drift, no broker I/O) and/or a real embedded broker
 * ({@link MonitorService} reading a pre-filled topic: fetch, decode, windows, changelog and output writes).
 * Codes are synthetic (labelled so): latent frequencies follow a Zipf law over d_sae, k slots per token, a few
 * slots per token off. Last line: one JSON object.
 */
@Command(name = "monitor", mixinStandardHelpOptions = true,
        description = "Benchmark the monitor topology: code tokens per second (TopologyTestDriver and/or embedded broker).")
public final class MonitorBench implements Callable<Integer> {
    public enum Mode { DRIVER, BROKER, BOTH }

    static final String MODEL = "bench-model";
    static final String HOOK = "blocks.0.hook_resid_post";

    @Spec
    CommandSpec spec;

    @Option(names = "--d-sae", defaultValue = "24576", description = "Dictionary size d_sae (default: ${DEFAULT-VALUE}).")
    int dSae;

    @Option(names = "--k", defaultValue = "32", description = "Top-k slots per token (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--tokens", defaultValue = "1000000", description = "Measured tokens per mode (default: ${DEFAULT-VALUE}).")
    long tokens;

    @Option(names = "--rows", defaultValue = "256", description = "Tokens per code record (default: ${DEFAULT-VALUE}).")
    int rows;

    @Option(names = "--window-tokens", defaultValue = "" + MonitorOptions.DEFAULT_WINDOW_TOKENS,
            description = "Monitor window W (default: ${DEFAULT-VALUE}).")
    int windowTokens;

    @Option(names = "--sae-partitions", defaultValue = "" + MonitorOptions.DEFAULT_SAE_PARTITIONS,
            description = "The monitor's by-SAE repartition (0 = off, to measure its cost) (default: ${DEFAULT-VALUE}).")
    int saePartitions;

    @Option(names = "--contexts", defaultValue = "on", paramLabel = "on|off",
            description = "Run the contexts processor (examples and histograms; the codes carry synthetic token ids) "
                    + "as the monitor does by default, or not (default: ${DEFAULT-VALUE}).")
    String contexts;

    @Option(names = "--mode", defaultValue = "BOTH", description = "DRIVER, BROKER or BOTH (default: ${DEFAULT-VALUE}).")
    Mode mode;

    /**
     * @param lastPsi PSI of window 1 against the baseline (window 0): two disjoint samples of the same stationary
     *                synthetic distribution, so this is the sampling-noise floor of PSI for this d_sae, W and L0
     */
    public record Result(int dSae, int k, int rows, int windowTokens, int saePartitions, long tokens, Double driverTokensPerSecond,
                         Double brokerTokensPerSecond, long driverWindows, Double lastPsi, Double lastJsBits) {
        public String json() {
            return String.format(Locale.ROOT, "{\"bench\":\"monitor\",\"d_sae\":%d,\"k\":%d,\"rows_per_record\":%d,"
                            + "\"window_tokens\":%d,\"sae_partitions\":%d,\"tokens\":%d,\"driver_tokens_per_s\":%s,\"broker_tokens_per_s\":%s,"
                            + "\"driver_windows\":%d,\"noise_psi\":%s,\"noise_js_bits\":%s}", dSae, k, rows, windowTokens,
                    saePartitions, tokens, num(driverTokensPerSecond), num(brokerTokensPerSecond), driverWindows, small(lastPsi),
                    small(lastJsBits));
        }

        private static String num(Double d) {
            return d == null ? "null" : String.format(Locale.ROOT, "%.0f", d);
        }

        private static String small(Double d) {
            return d == null ? "null" : String.format(Locale.ROOT, "%.5f", d);
        }
    }

    /** Window 1 of the driver run (compared with baseline window 0). */
    private volatile WindowSummary last;

    @Override
    public Integer call() throws Exception {
        MonitorCommand.quietKafkaLogs();
        check(dSae >= 1, "--d-sae must be >= 1 (got " + dSae + ")");
        check(k >= 1 && k <= dSae, "--k must be in [1, d_sae] (got " + k + ")");
        check(tokens >= rows, "--tokens must be >= --rows (got " + tokens + ")");
        check(rows >= 1 && rows <= 65_536, "--rows must be in [1, 65536] (got " + rows + ")");
        check(windowTokens >= 1, "--window-tokens must be >= 1 (got " + windowTokens + ")");
        System.out.printf(Locale.ROOT, "monitor bench: synthetic Zipf codes, d_sae=%d k=%d, %d tokens/record, W=%d, %d tokens%n",
                dSae, k, rows, windowTokens, tokens);
        // distinct records for the first two windows, so window 1 and the baseline are disjoint samples
        List<byte[]> records = records(dSae, k, rows, (int) Math.min(4096, 2L * windowTokens / rows + 2));
        Double driver = null;
        Double broker = null;
        long[] windows = {0};
        if (mode != Mode.BROKER) {
            driver = driver(records, windows);
            System.out.printf(Locale.ROOT, "  TopologyTestDriver: %,.0f tokens/s (%d windows closed)%n", driver, windows[0]);
        }
        if (mode != Mode.DRIVER) {
            broker = broker(records);
            System.out.printf(Locale.ROOT, "  embedded broker:    %,.0f tokens/s (MonitorService, from first to last token counted)%n", broker);
        }
        WindowSummary w = last;
        Double psi = w == null || w.drift() == null ? null : w.drift().psi();
        Double js = w == null || w.drift() == null ? null : w.drift().jsBits();
        if (psi != null) {
            System.out.printf(Locale.ROOT, "  window 1 vs baseline, same synthetic distribution (noise floor): PSI %.5f, JS %.5f bits%n", psi, js);
        }
        System.out.println(new Result(dSae, k, rows, windowTokens, saePartitions, tokens, driver, broker, windows[0], psi, js).json());
        return 0;
    }

    private void check(boolean ok, String message) {
        if (!ok) {
            throw new CommandLine.ParameterException(spec.commandLine(), message);
        }
    }

    /** Encoded code records: latent i drawn with probability proportional to 1 / (i + 10). */
    static List<byte[]> records(int dSae, int k, int rows, int distinct) {
        double[] cdf = new double[dSae];
        double total = 0;
        for (int i = 0; i < dSae; i++) {
            total += 1.0 / (i + 10);
            cdf[i] = total;
        }
        Random random = new Random(7);
        CodeMeta meta = new CodeMeta("sae-bench", 1, MODEL, HOOK, 384, dSae, k);
        List<byte[]> out = new ArrayList<>();
        String topic = Topics.codes(MODEL, HOOK);
        try (CodeBatchSerde serde = new CodeBatchSerde()) {
            for (int b = 0; b < distinct; b++) {
                long[] seq = new long[rows];
                int[] pos = new int[rows];
                int[] tok = new int[rows];
                int[] idx = new int[rows * k];
                float[] val = new float[rows * k];
                float[] err = new float[rows];
                float[] norm = new float[rows];
                for (int r = 0; r < rows; r++) {
                    seq[r] = (long) b * rows + r;
                    pos[r] = r % 128;
                    tok[r] = 1000 + random.nextInt(29_000); // synthetic token ids: the contexts processor's work
                    int on = k - random.nextInt(Math.max(1, k / 8));
                    for (int j = 0; j < k; j++) {
                        int at = java.util.Arrays.binarySearch(cdf, random.nextDouble() * total);
                        idx[r * k + j] = Math.min(dSae - 1, at < 0 ? -at - 1 : at);
                        val[r * k + j] = j < on ? (float) (0.1 + random.nextExponential()) : 0f;
                    }
                    norm[r] = 10f + random.nextFloat();
                    err[r] = norm[r] * (0.1f + 0.2f * random.nextFloat());
                }
                out.add(serde.serializer().serialize(topic, new CodeBatch(meta, seq, pos, tok, idx, val, err, norm)));
            }
        }
        return out;
    }

    private MonitorOptions options(String bootstrap) {
        return MonitorOptions.forTopics(bootstrap, List.of(Topics.codes(MODEL, HOOK))).withWindowTokens(windowTokens)
                .withApplicationId("monitor-bench-" + System.nanoTime()).withMetrics("127.0.0.1", 0)
                .withSaePartitions(saePartitions)
                .withContexts(dev.livesae.monitor.ContextOptions.DEFAULTS.withEnabled(!"off".equalsIgnoreCase(contexts)));
    }

    private double driver(List<byte[]> records, long[] windows) throws Exception {
        Path state = Files.createTempDirectory("monitor-bench-");
        MonitorMetrics metrics = new MonitorMetrics();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        metrics.bindTo(registry);
        MonitorOptions o = options("unused:9092");
        TelemetryListener keepLast = new TelemetryListener() {
            @Override
            public void onWindow(WindowSummary summary) {
                if (summary.windowIndex() == 1) {
                    last = summary;
                }
            }
        };
        try (TopologyTestDriver driver = new TopologyTestDriver(MonitorTopology.build(o, metrics, keepLast),
                MonitorTopology.streamsConfig(o, Map.of(StreamsConfig.STATE_DIR_CONFIG, state.toString())))) {
            TestInputTopic<byte[], byte[]> in = driver.createInputTopic(Topics.codes(MODEL, HOOK),
                    new ByteArraySerializer(), new ByteArraySerializer());
            TestOutputTopic<byte[], byte[]> w = driver.createOutputTopic(Topics.windows(MODEL, HOOK),
                    new ByteArrayDeserializer(), new ByteArrayDeserializer());
            TestOutputTopic<byte[], byte[]> d = driver.createOutputTopic(Topics.drift(MODEL, HOOK),
                    new ByteArrayDeserializer(), new ByteArrayDeserializer());
            // the test driver keeps every record written to any topic, internal ones included, until it is read:
            // drain the state changelog (one state per record) and the by-SAE hop too, or a long run fills the heap
            List<TestOutputTopic<byte[], byte[]>> drained = new java.util.ArrayList<>(List.of(d,
                    driver.createOutputTopic(o.applicationId() + "-" + MonitorTopology.STATE_STORE + "-changelog",
                            new ByteArrayDeserializer(), new ByteArrayDeserializer())));
            if (o.saePartitions() > 0) {
                drained.add(driver.createOutputTopic(o.applicationId() + "-" + MonitorTopology.BY_SAE + "-repartition",
                        new ByteArrayDeserializer(), new ByteArrayDeserializer()));
            }
            if (o.contexts().enabled()) {
                drained.add(driver.createOutputTopic(o.applicationId() + "-" + MonitorTopology.CONTEXT_STORE + "-changelog",
                        new ByteArrayDeserializer(), new ByteArrayDeserializer()));
            }
            // the contexts processor writes its store on a 1 s wall-clock punctuator: one second passes per 100,000
            // tokens (the test driver's clock moves only when told)
            Runnable second = () -> driver.advanceWallClockTime(java.time.Duration.ofSeconds(1));
            long warm = Math.max(rows, tokens / 5);
            pipe(in, records, warm, w, drained, second);
            long start = System.nanoTime();
            windows[0] = pipe(in, records, tokens, w, drained, second);
            double seconds = (System.nanoTime() - start) / 1e9;
            return tokens / seconds;
        } finally {
            deleteQuietly(state);
        }
    }

    private long pipe(TestInputTopic<byte[], byte[]> in, List<byte[]> records, long n, TestOutputTopic<byte[], byte[]> w,
                      List<TestOutputTopic<byte[], byte[]>> drained, Runnable second) {
        long windows = 0;
        long undrained = 0;
        long sinceTick = 0;
        for (long sent = 0, i = 0; sent < n; sent += rows, i++) {
            in.pipeInput(null, records.get((int) (i % records.size())));
            sinceTick += rows;
            if (sinceTick >= 100_000) {
                second.run();
                sinceTick = 0;
                drained.forEach(TestOutputTopic::readValuesToList);
            }
            drained.get(1).readValuesToList(); // one ~1 MB state per record
            undrained += rows;
            if (undrained >= windowTokens) {
                windows += w.readValuesToList().size();
                drained.forEach(TestOutputTopic::readValuesToList);
                undrained = 0;
            }
        }
        return windows + w.readValuesToList().size();
    }

    private double broker(List<byte[]> records) throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(BrokerOptions.defaults())) {
            String topic = Topics.codes(MODEL, HOOK);
            kafka.createTopic(topic, 1, Map.of("max.message.bytes", Integer.toString(64 << 20)));
            Map<String, Object> p = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                    ProducerConfig.LINGER_MS_CONFIG, 5, ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 64 << 20);
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
                for (long sent = 0, i = 0; sent < tokens; sent += rows, i++) {
                    producer.send(new ProducerRecord<>(topic, records.get((int) (i % records.size()))));
                }
                producer.flush();
            }
            long expected = (tokens + rows - 1) / rows * rows;
            try (MonitorService service = MonitorService.start(options(kafka.bootstrapServers()))) {
                MeterRegistry r = service.registry();
                long first = 0;
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
                while (System.nanoTime() < deadline) {
                    double seen = r.find("livesae.monitor.tokens").counters().stream().mapToDouble(c -> c.count()).sum();
                    if (seen > 0 && first == 0) {
                        first = System.nanoTime();
                    }
                    if (seen >= expected) {
                        return (seen - rows) / ((System.nanoTime() - first) / 1e9);
                    }
                    Thread.sleep(5);
                }
                throw new IllegalStateException("monitor did not count " + expected + " tokens within 10 minutes");
            }
        }
    }

    private static void deleteQuietly(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (java.io.IOException e) {
            // temporary directory; nothing to do
        }
    }
}
