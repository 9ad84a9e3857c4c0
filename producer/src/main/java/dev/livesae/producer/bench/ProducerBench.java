package dev.livesae.producer.bench;

import dev.livesae.kafka.local.BrokerOptions;
import dev.livesae.kafka.local.EmbeddedKafkaBroker;
import dev.livesae.producer.ActivationPublisher;
import dev.livesae.producer.Compression;
import dev.livesae.producer.PublisherOptions;
import dev.livesae.producer.PublisherStats;
import dev.livesae.producer.model.ForwardPass;
import dev.livesae.producer.model.MiniLmModel;
import dev.livesae.producer.source.EuroparlCorpus;
import dev.livesae.producer.source.TextLines;
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

    @Spec
    CommandSpec spec;

    @Option(names = "--texts", defaultValue = "256", description = "Europarl English texts per round, 1..100000 (default: ${DEFAULT-VALUE})")
    int texts;
    @Option(names = "--hookpoint", description = "hookpoint(s) captured and published, repeatable (default: blocks.3.hook_resid_post)")
    List<String> hookpoints = new ArrayList<>();
    @Option(names = "--bootstrap", description = "Kafka HOST:PORT; default: start an embedded broker in this JVM")
    String bootstrap;
    @Option(names = "--texts-per-batch", defaultValue = "32", description = "texts per forward pass (default: ${DEFAULT-VALUE})")
    int textsPerBatch;
    @Option(names = "--max-length", defaultValue = "128", description = "max tokens per text (default: ${DEFAULT-VALUE})")
    int maxLength;
    @Option(names = "--threads", defaultValue = "0", description = "ONNX Runtime intra-op threads, 0 = default (default: ${DEFAULT-VALUE})")
    int threads;
    @Option(names = "--compression", defaultValue = "lz4", description = "zstd, lz4 or none (default: ${DEFAULT-VALUE})")
    String compression;
    @Option(names = "--rounds", defaultValue = "2", description = "alternating rounds of each mode, best kept, 1..20 (default: ${DEFAULT-VALUE})")
    int rounds;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ProducerBench()).execute(args));
    }

    /** One timed round. */
    record Round(long tokens, double seconds, long bytes) {
        double tokensPerSecond() {
            return tokens / seconds;
        }
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
        EmbeddedKafkaBroker broker = bootstrap == null ? EmbeddedKafkaBroker.start(BrokerOptions.defaults()) : null;
        try (MiniLmModel model = MiniLmModel.load(maxLength, threads)) {
            for (String h : hooks) {
                try {
                    model.hookpoint(h);
                } catch (IllegalArgumentException e) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--hookpoint " + h + " is not a MiniLM hookpoint");
                }
            }
            String servers = broker != null ? broker.bootstrapServers() : bootstrap;
            PublisherOptions options = PublisherOptions.defaults(servers, "bench-" + MiniLmModel.MODEL_NAME).withCompression(c);
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
            double overhead = 100.0 * (bestPublish.seconds() - bestInference.seconds()) / bestInference.seconds();
            out.printf(Locale.ROOT, "%-22s %12s %12s%n", "", "inference", "+publish");
            out.printf(Locale.ROOT, "%-22s %12d %12d%n", "tokens", bestInference.tokens(), bestPublish.tokens());
            out.printf(Locale.ROOT, "%-22s %12.2f %12.2f%n", "seconds", bestInference.seconds(), bestPublish.seconds());
            out.printf(Locale.ROOT, "%-22s %12.0f %12.0f%n", "tokens/s", bestInference.tokensPerSecond(), bestPublish.tokensPerSecond());
            out.printf(Locale.ROOT, "%-22s %12s %12.1f%n", "MB published", "-", bestPublish.bytes() / 1e6);
            out.printf(Locale.ROOT, "publishing overhead: %.1f %% of inference time (target <= 10 %%)%n", overhead);
            out.printf(Locale.ROOT, "{\"bench\":\"producer\",\"texts\":%d,\"tokens\":%d,\"hookpoints\":[%s],\"compression\":\"%s\","
                            + "\"inference_tokens_per_s\":%.1f,\"publish_tokens_per_s\":%.1f,\"overhead_pct\":%.2f,\"mb_published\":%.2f,"
                            + "\"broker\":\"%s\",\"cores\":%d}%n",
                    texts, bestInference.tokens(), hooks.stream().map(h -> "\"" + h + "\"").collect(Collectors.joining(",")),
                    c.kafkaName(), bestInference.tokensPerSecond(), bestPublish.tokensPerSecond(), overhead, bestPublish.bytes() / 1e6,
                    broker != null ? "embedded" : "external", Runtime.getRuntime().availableProcessors());
            out.flush();
        } finally {
            if (broker != null) {
                broker.close();
            }
        }
        return 0;
    }

    private static Round inferenceOnly(MiniLmModel model, List<List<String>> batches, Set<String> hooks) {
        long t0 = System.nanoTime();
        long tokens = 0;
        for (List<String> b : batches) {
            tokens += model.forward(b, hooks).rows();
        }
        return new Round(tokens, (System.nanoTime() - t0) / 1e9, 0);
    }

    /** Timed from the first forward pass to the last acknowledgement (publisher closed, all flushed). */
    private static Round withPublishing(MiniLmModel model, List<List<String>> batches, Set<String> hooks, PublisherOptions options) {
        ActivationPublisher publisher = new ActivationPublisher(options);
        publisher.flush(Duration.ofSeconds(10));
        long t0 = System.nanoTime();
        long tokens = 0;
        try (publisher) {
            for (List<String> b : batches) {
                ForwardPass pass = model.forward(b, hooks);
                publisher.publish(pass);
                tokens += pass.rows();
            }
            if (!publisher.flush(Duration.ofSeconds(120))) {
                throw new IllegalStateException("publisher did not drain within 120 s");
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        PublisherStats s = publisher.stats();
        return new Round(tokens, seconds, s.ackedBytes());
    }
}
