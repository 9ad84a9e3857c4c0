package dev.livesae.sources.bench;

import dev.livesae.service.KafkaOptions;
import dev.livesae.clients.KafkaClientConfig;
import dev.livesae.kafka.local.BrokerOptions;
import dev.livesae.kafka.local.EmbeddedKafkaBroker;
import dev.livesae.producer.ActivationPublisher;
import dev.livesae.producer.Compression;
import dev.livesae.producer.PublisherOptions;
import dev.livesae.producer.PublisherStats;
import dev.livesae.sources.QuietLogs;
import dev.livesae.sources.model.ForwardPass;
import dev.livesae.sources.model.MiniLmModel;
import dev.livesae.sources.EuroparlCorpus;
import dev.livesae.sources.TextLines;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sae bench producer}: MiniLM tokens/s for inference alone vs inference plus publishing every
 * captured hookpoint to Kafka (publishing runs on the publisher's sender thread, overlapping the next
 * forward pass). Runs the two alternately {@code --rounds} times over the same Europarl texts and
 * reports the best round of each; the last line is JSON.
 */
@Command(name = "producer", mixinStandardHelpOptions = true, sortOptions = false,
        description = "MiniLM inference tokens/s alone vs with publishing to Kafka; last line JSON.")
public final class ProducerBench implements Callable<Integer> {

    static {
        QuietLogs.apply();
    }

    @Spec
    CommandSpec spec;

    @Option(names = "--texts", defaultValue = "256", description = "Europarl English texts per round, 1..100000 (default: ${DEFAULT-VALUE})")
    int texts;
    @Option(names = "--hookpoint", description = "hookpoint(s) captured and published, repeatable (default: blocks.3.hook_resid_post)")
    List<String> hookpoints = new ArrayList<>();
    /** --bootstrap (default: an embedded broker in this JVM), --kafka-config, --kafka-property */
    @Mixin
    KafkaOptions kafka = new KafkaOptions();
    @Option(names = "--texts-per-batch", defaultValue = "32", description = "texts per forward pass (default: ${DEFAULT-VALUE})")
    int textsPerBatch;
    @Option(names = "--max-length", defaultValue = "128", description = "max tokens per text (default: ${DEFAULT-VALUE})")
    int maxLength;
    @Option(names = "--threads", defaultValue = "0", description = "ONNX Runtime intra-op threads, 0 = default (default: ${DEFAULT-VALUE})")
    int threads;
    @Option(names = "--compression", defaultValue = "zstd", description = "zstd, lz4 or none (default: ${DEFAULT-VALUE})")
    String compression;
    @Option(names = "--rounds", defaultValue = "3", description = "alternating rounds of each mode, best kept, 1..20 (default: ${DEFAULT-VALUE})")
    int rounds;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ProducerBench()).execute(args));
    }

    /**
     * One timed round: wall seconds, CPU seconds of the whole process (ONNX Runtime's native threads
     * included), seconds the inference thread spent inside publish(), and CPU seconds of the publisher's
     * own threads (sender: Arrow encoding + Kafka compression; Kafka client network thread).
     */
    record Round(long tokens, double seconds, double processCpu, double publishCall, double publisherCpu, long bytes) {
        double tokensPerSecond() {
            return tokens / seconds;
        }
    }

    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    static double processCpuSeconds() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime() / 1e9;
        }
        return Double.NaN;
    }

    /** CPU seconds of the live threads whose name contains {@code part}. */
    private static double threadCpuSeconds(String part) {
        long sum = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().contains(part)) {
                long ns = THREADS.getThreadCpuTime(t.getId());
                sum += Math.max(0, ns);
            }
        }
        return sum / 1e9;
    }

    @Override
    public Integer call() {
        if (texts < 1 || texts > 100_000) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--texts must be in [1, 100000] (got " + texts + ")");
        }
        if (rounds < 1 || rounds > 20) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--rounds must be in [1, 20] (got " + rounds + ")");
        }
        if (textsPerBatch < 1 || textsPerBatch > 4096) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--texts-per-batch must be in [1, 4096] (got " + textsPerBatch + ")");
        }
        if (maxLength < 2 || maxLength > 512) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-length must be in [2, 512] (got " + maxLength + ")");
        }
        Compression c;
        try {
            c = Compression.parse(compression);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--compression must be zstd, lz4 or none (got " + compression + ")");
        }
        PrintWriter out = spec.commandLine().getOut();
        Set<String> hooks = new LinkedHashSet<>(hookpoints.isEmpty() ? List.of(MiniLmModel.residPost(3)) : hookpoints);
        List<List<String>> batches = new ArrayList<>();
        try (TextLines lines = EuroparlCorpus.lines()) {
            for (int left = texts; left > 0; ) {
                List<String> b = lines.next(Math.min(textsPerBatch, left));
                if (b.isEmpty()) {
                    break;
                }
                batches.add(b);
                left -= b.size();
            }
        }
        EmbeddedKafkaBroker broker = kafka.given() ? null : EmbeddedKafkaBroker.start(BrokerOptions.defaults());
        try (MiniLmModel model = MiniLmModel.load(maxLength, threads)) {
            for (String h : hooks) {
                try {
                    model.hookpoint(h);
                } catch (IllegalArgumentException e) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--hookpoint " + h + " is not a MiniLM hookpoint");
                }
            }
            KafkaClientConfig servers = broker != null ? KafkaClientConfig.of(broker.bootstrapServers()) : kafka.clientConfig();
            PublisherOptions options = PublisherOptions.defaults(servers.bootstrap(), "bench-" + MiniLmModel.MODEL_NAME)
                    .withCompression(c).withKafka(servers.userProperties());
            model.forward(batches.get(0), hooks); // warm-up
            Round bestInference = null;
            Round bestPublish = null;
            for (int r = 0; r < rounds; r++) {
                Round inf = inferenceOnly(model, batches, hooks);
                Round pub = withPublishing(model, batches, hooks, options);
                out.printf(Locale.ROOT, "round %d: inference %,.0f tok/s, inference+publish %,.0f tok/s%n", r + 1,
                        inf.tokensPerSecond(), pub.tokensPerSecond());
                bestInference = bestInference == null || inf.seconds() < bestInference.seconds() ? inf : bestInference;
                bestPublish = bestPublish == null || pub.seconds() < bestPublish.seconds() ? pub : bestPublish;
            }
            double wallOverhead = 100.0 * (bestPublish.seconds() - bestInference.seconds()) / bestInference.seconds();
            // the robust figure on a shared machine: what publishing costs relative to what inference costs, in CPU time
            double inferenceCpu = bestInference.processCpu();
            double callPct = 100.0 * bestPublish.publishCall() / inferenceCpu;
            double threadsPct = 100.0 * bestPublish.publisherCpu() / inferenceCpu;
            double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            out.printf(Locale.ROOT, "%-34s %12s %12s%n", "", "inference", "+publish");
            out.printf(Locale.ROOT, "%-34s %12d %12d%n", "tokens", bestInference.tokens(), bestPublish.tokens());
            out.printf(Locale.ROOT, "%-34s %12.2f %12.2f%n", "wall seconds", bestInference.seconds(), bestPublish.seconds());
            out.printf(Locale.ROOT, "%-34s %12.0f %12.0f%n", "tokens/s (wall)", bestInference.tokensPerSecond(), bestPublish.tokensPerSecond());
            out.printf(Locale.ROOT, "%-34s %12.2f %12.2f%n", "process CPU seconds", bestInference.processCpu(), bestPublish.processCpu());
            out.printf(Locale.ROOT, "%-34s %12s %12.3f%n", "in publish() on inference thread s", "-", bestPublish.publishCall());
            out.printf(Locale.ROOT, "%-34s %12s %12.3f%n", "publisher threads CPU seconds", "-", bestPublish.publisherCpu());
            out.printf(Locale.ROOT, "%-34s %12s %12.1f%n", "MB published", "-", bestPublish.bytes() / 1e6);
            out.printf(Locale.ROOT, "publishing cost: %.1f %% of inference CPU blocking the inference thread + %.1f %% on the publisher's threads "
                    + "= %.1f %% (target <= 10 %%)%n", callPct, threadsPct, callPct + threadsPct);
            out.printf(Locale.ROOT, "wall-clock difference: %+.1f %% (load average %.1f on %d cores: wall figures are only indicative)%n",
                    wallOverhead, load, Runtime.getRuntime().availableProcessors());
            out.printf(Locale.ROOT, "{\"bench\":\"producer\",\"texts\":%d,\"tokens\":%d,\"hookpoints\":[%s],\"compression\":\"%s\","
                            + "\"inference_tokens_per_s\":%.1f,\"publish_tokens_per_s\":%.1f,\"wall_overhead_pct\":%.2f,"
                            + "\"inference_cpu_s\":%.3f,\"publish_call_s\":%.3f,\"publisher_threads_cpu_s\":%.3f,\"publish_cost_pct\":%.2f,"
                            + "\"mb_published\":%.2f,\"broker\":\"%s\",\"cores\":%d,\"load_average\":%.2f}%n",
                    texts, bestInference.tokens(), hooks.stream().map(h -> "\"" + h + "\"").collect(Collectors.joining(",")),
                    c.kafkaName(), bestInference.tokensPerSecond(), bestPublish.tokensPerSecond(), wallOverhead,
                    inferenceCpu, bestPublish.publishCall(), bestPublish.publisherCpu(), callPct + threadsPct, bestPublish.bytes() / 1e6,
                    broker != null ? "embedded" : "external", Runtime.getRuntime().availableProcessors(), load);
            out.flush();
        } finally {
            if (broker != null) {
                broker.close();
            }
        }
        return 0;
    }

    private static Round inferenceOnly(MiniLmModel model, List<List<String>> batches, Set<String> hooks) {
        double cpu0 = processCpuSeconds();
        long t0 = System.nanoTime();
        long tokens = 0;
        for (List<String> b : batches) {
            tokens += model.forward(b, hooks).rows();
        }
        return new Round(tokens, (System.nanoTime() - t0) / 1e9, processCpuSeconds() - cpu0, 0, 0, 0);
    }

    /** Timed from the first forward pass to the last acknowledgement (publisher closed, all flushed). */
    private static Round withPublishing(MiniLmModel model, List<List<String>> batches, Set<String> hooks, PublisherOptions options) {
        ActivationPublisher publisher = new ActivationPublisher(options);
        // untimed: topic creation / metadata and a first batch through every code path
        model.forward(batches.get(0), hooks).publishTo(publisher);
        publisher.flush(Duration.ofSeconds(60));
        String threads = publisher.instanceId();
        double threadCpu0 = threadCpuSeconds(threads);
        double cpu0 = processCpuSeconds();
        long t0 = System.nanoTime();
        long tokens = 0;
        long inPublish = 0;
        double seconds;
        double processCpu;
        double publisherCpu;
        try (publisher) {
            for (List<String> b : batches) {
                ForwardPass pass = model.forward(b, hooks);
                long p0 = System.nanoTime();
                pass.publishTo(publisher);
                inPublish += System.nanoTime() - p0;
                tokens += pass.rows();
            }
            if (!publisher.flush(Duration.ofSeconds(120))) {
                throw new IllegalStateException("publisher did not drain within 120 s");
            }
            seconds = (System.nanoTime() - t0) / 1e9;
            processCpu = processCpuSeconds() - cpu0;
            publisherCpu = threadCpuSeconds(threads) - threadCpu0; // before close: the threads end there
        }
        PublisherStats s = publisher.stats();
        return new Round(tokens, seconds, processCpu, inPublish / 1e9, publisherCpu, s.ackedBytes());
    }
}
