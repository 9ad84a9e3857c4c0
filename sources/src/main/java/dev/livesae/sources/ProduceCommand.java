package dev.livesae.sources;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import dev.livesae.service.ServiceHttpServer;
import dev.livesae.service.KafkaOptions;
import dev.livesae.service.TopicOptions;
import dev.livesae.clients.KafkaClientConfig;
import dev.livesae.clients.ClusterCheck;
import dev.livesae.clients.KafkaUnavailableException;
import dev.livesae.clients.TopicAdmin;
import dev.livesae.clients.TopicSettings;
import dev.livesae.producer.ActivationPublisher;
import dev.livesae.producer.Compression;
import dev.livesae.producer.OnFull;
import dev.livesae.producer.PublisherOptions;
import dev.livesae.producer.PublisherStats;

import dev.livesae.sources.model.ForwardPass;
import dev.livesae.sources.model.Hookpoint;
import dev.livesae.sources.model.MiniLmModel;
import dev.livesae.wire.Topics;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** {@code sae produce}: publish activations of MiniLM, synthetic features or replayed files to Kafka. */
@Command(name = "produce", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Publish activations to Kafka (topic activations.<model>.<hookpoint>, one Arrow batch per record).",
                "Sources: minilm (all-MiniLM-L6-v2 through ONNX Runtime on text files, stdin or the bundled Europarl corpus),",
                "synthetic (known features in superposition), npy (float32/float16 [N, d]) and arrow (IPC file or stream)."})
public final class ProduceCommand implements Callable<Integer> {

    static {
        QuietLogs.apply();
    }

    @Spec
    CommandSpec spec;

    @Option(names = "--source", defaultValue = "minilm", description = "minilm, synthetic, npy or arrow (default: ${DEFAULT-VALUE})")
    String source;
    @Mixin
    KafkaOptions kafka = new KafkaOptions();
    @Option(names = "--model", description = "model name in topics and batches (default: all-MiniLM-L6-v2 for minilm, synthetic, replay)")
    String model;
    @Option(names = "--hookpoint", description = "hookpoint(s) to publish, repeatable (default: blocks.3.hook_resid_post for minilm, "
            + "hook_synthetic for synthetic, replay for npy/arrow)")
    List<String> hookpoints = new ArrayList<>();
    @Option(names = "--list-hookpoints", description = "list MiniLM hookpoints with tensor names and d, then exit")
    boolean listHookpoints;

    @Option(names = "--text-file", description = "text file(s), one text per non-blank line (minilm)")
    List<Path> textFiles = new ArrayList<>();
    @Option(names = "--stdin", description = "read texts from stdin, one per line (minilm)")
    boolean stdin;
    @Option(names = "--corpus", defaultValue = "english", description = "bundled Europarl corpus filter when no --text-file/--stdin: english or all (default: ${DEFAULT-VALUE})")
    String corpus;
    @Option(names = "--max-length", defaultValue = "128", description = "max tokens per text incl. [CLS]/[SEP], 2..512 (default: ${DEFAULT-VALUE})")
    int maxLength;
    @Option(names = "--texts-per-batch", defaultValue = "32", description = "texts per forward pass, 1..4096 (default: ${DEFAULT-VALUE})")
    int textsPerBatch;
    @Option(names = "--threads", defaultValue = "0", description = "ONNX Runtime intra-op threads, 0 = all cores (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--file", description = "input file(s) for npy / arrow, repeatable")
    List<Path> files = new ArrayList<>();

    @Option(names = "--features", defaultValue = "512", description = "synthetic: number of true features m (default: ${DEFAULT-VALUE})")
    int features;
    @Option(names = "--d-in", defaultValue = "64", description = "synthetic: activation width d (default: ${DEFAULT-VALUE})")
    int dIn;
    @Option(names = "--alpha", defaultValue = "1.0", description = "synthetic: power-law exponent of firing probabilities (default: ${DEFAULT-VALUE})")
    double alpha;
    @Option(names = "--mean-active", defaultValue = "8", description = "synthetic: expected features firing per token (default: ${DEFAULT-VALUE})")
    double meanActive;
    @Option(names = "--magnitude", defaultValue = "1.0", description = "synthetic: mean magnitude of a firing feature (default: ${DEFAULT-VALUE})")
    double magnitude;
    @Option(names = "--noise", defaultValue = "0.01", description = "synthetic: Gaussian noise std per coordinate (default: ${DEFAULT-VALUE})")
    double noise;
    @Option(names = "--seed", defaultValue = "42", description = "synthetic: seed (default: ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--dictionary-out", description = "synthetic: write the true dictionary here as .npy float32 [m, d]")
    Path dictionaryOut;

    @Option(names = "--max-tokens", defaultValue = "0", description = "stop after this many tokens (rows per hookpoint); 0 = until the source ends "
            + "(synthetic: endless) (default: ${DEFAULT-VALUE})")
    long maxTokens;
    @Option(names = "--repeat", description = "when the texts / files are used up, start again (stop with --max-tokens or Ctrl-C); not for --stdin")
    boolean repeat;
    @Option(names = "--batch-rows", defaultValue = "512", description = "rows per Kafka record, 1..1000000 (default: ${DEFAULT-VALUE})")
    int batchRows;
    @Option(names = "--batch-bytes", defaultValue = "900000", description = "max activation bytes per record (default: ${DEFAULT-VALUE})")
    int batchBytes;
    @Option(names = "--linger-ms", defaultValue = "50", description = "max age of a partial batch before it is sent, 0..600000 (default: ${DEFAULT-VALUE})")
    long lingerMs;
    @Option(names = "--compression", defaultValue = "zstd", description = "Kafka compression: zstd, lz4 or none (default: ${DEFAULT-VALUE})")
    String compression;
    @Option(names = "--buffer-mb", defaultValue = "64", description = "max MiB accepted but not yet acknowledged, 1..65536 (default: ${DEFAULT-VALUE})")
    long bufferMb;
    @Option(names = "--on-full", defaultValue = "block", description = "when the buffer is full: block or drop (default: ${DEFAULT-VALUE})")
    String onFull;
    @Mixin
    TopicOptions topics = new TopicOptions();
    @Option(names = "--producer-id", defaultValue = "-1", description = "16-bit producer id in sequence ids, -1 = random (default: ${DEFAULT-VALUE})")
    int producerId;
    @Option(names = "--metrics-port", defaultValue = "-1",
            description = "serve /metrics and /health on this port; 0 = any free port, -1 = off (default: ${DEFAULT-VALUE})")
    int metricsPort;
    @Option(names = "--metrics-host", defaultValue = "127.0.0.1", description = "address for --metrics-port (default: ${DEFAULT-VALUE})")
    String metricsHost;
    @Option(names = "--progress-ms", defaultValue = "2000", description = "progress line interval on stderr, 0 = off (default: ${DEFAULT-VALUE})")
    long progressMs;

    private PrintWriter out;
    private PrintWriter err;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ProduceCommand()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        err = spec.commandLine().getErr();
        String src = source.toLowerCase(Locale.ROOT);
        if (!List.of("minilm", "synthetic", "npy", "arrow").contains(src)) {
            throw bad("--source must be minilm, synthetic, npy or arrow (got " + source + ")");
        }
        if (listHookpoints) {
            return listHookpoints();
        }
        PublisherOptions options = publisherOptions(src);
        validateSource(src);
        ClusterCheck.awaitCluster(KafkaClientConfig.of(options.bootstrapServers(), options.kafka()), ClusterCheck.DEFAULT_TIMEOUT);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ServiceHttpServer metrics = metricsPort == ServiceHttpServer.OFF ? null
                : ServiceHttpServer.start("produce-http", metricsHost, metricsPort, registry, () -> new ServiceHttpServer.Health(true, "RUNNING"));
        try {
            if (metrics != null) {
                err.printf("metrics on %s%n", metrics.url("/metrics"));
            }
            return switch (src) {
                case "minilm" -> runMiniLm(options, registry);
                case "synthetic" -> runRows(options, registry, List.of(synthetic()), () -> List.of());
                default -> runRows(options, registry, openFiles(src), () -> openFiles(src));
            };
        } finally {
            if (metrics != null) {
                metrics.close();
            }
            registry.close();
        }
    }

    private CommandLine.ParameterException bad(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    private int listHookpoints() {
        try (MiniLmModel m = MiniLmModel.load(checkedMaxLength(), threads)) {
            out.printf("%-28s %-6s %-60s %s%n", "hookpoint", "d", "ONNX tensor", "description");
            for (Hookpoint h : m.hookpoints()) {
                out.printf("%-28s %-6d %-60s %s%n", h.name(), h.dIn(), h.tensor(), h.description());
            }
        }
        return 0;
    }

    private int checkedMaxLength() {
        if (maxLength < 2 || maxLength > 512) {
            throw bad("--max-length must be in [2, 512] (got " + maxLength + ")");
        }
        return maxLength;
    }

    PublisherOptions publisherOptions(String src) {
        KafkaClientConfig cfg;
        try {
            cfg = kafka.clientConfig();
        } catch (IllegalArgumentException e) {
            throw bad(e.getMessage());
        }
        if (batchRows < 1 || batchRows > 1_000_000) {
            throw bad("--batch-rows must be in [1, 1000000] (got " + batchRows + ")");
        }
        if (batchBytes < 1024 || batchBytes > 64 << 20) {
            throw bad("--batch-bytes must be in [1024, 67108864] (got " + batchBytes + ")");
        }
        if (lingerMs < 0 || lingerMs > 600_000) {
            throw bad("--linger-ms must be in [0, 600000] (got " + lingerMs + ")");
        }
        if (bufferMb < 1 || bufferMb > 65536) {
            throw bad("--buffer-mb must be in [1, 65536] (got " + bufferMb + ")");
        }
        topicSettings();
        if (producerId < -1 || producerId > 0xFFFF) {
            throw bad("--producer-id must be -1 or in [0, 65535] (got " + producerId + ")");
        }
        if (maxTokens < 0) {
            throw bad("--max-tokens must be >= 0 (got " + maxTokens + ")");
        }
        try {
            ServiceHttpServer.checkPort(metricsPort);
        } catch (IllegalArgumentException e) {
            throw bad(e.getMessage());
        }
        if (progressMs < 0) {
            throw bad("--progress-ms must be >= 0 (got " + progressMs + ")");
        }
        Compression c;
        OnFull f;
        try {
            c = Compression.parse(compression);
        } catch (IllegalArgumentException e) {
            throw bad("--compression must be zstd, lz4 or none (got " + compression + ")");
        }
        try {
            f = OnFull.parse(onFull);
        } catch (IllegalArgumentException e) {
            throw bad("--on-full must be block or drop (got " + onFull + ")");
        }
        String m = model != null ? model : switch (src) {
            case "minilm" -> MiniLmModel.MODEL_NAME;
            case "synthetic" -> SyntheticActivations.DEFAULT_MODEL;
            default -> "replay";
        };
        return PublisherOptions.defaults(cfg.bootstrap(), m).withKafka(cfg.userProperties())
                .withBatching(batchRows, batchBytes, Duration.ofMillis(lingerMs))
                .withCompression(c)
                .withBuffer(bufferMb << 20, f)
                .withTopics(false, 1) // created by prepareTopics with TopicSettings, before the first send
                .withProducerId(producerId, true);
    }

    TopicSettings topicSettings() {
        try {
            return topics.settings();
        } catch (IllegalArgumentException e) {
            throw bad(e.getMessage());
        }
    }

    /**
     * Creates the activation topics (unless they exist) and asks the broker's authorizer whether this principal may
     * WRITE them, so a denial is one line before anything is published rather than a send failure per batch.
     */
    private List<String> prepareTopics(PublisherOptions options, Set<String> hooks) {
        KafkaClientConfig kafkaConfig = KafkaClientConfig.of(options.bootstrapServers(), options.kafka());
        List<String> topics = hooks.stream().map(h -> Topics.activations(options.model(), h)).toList();
        TopicAdmin.createTopics(kafkaConfig, topics, topicSettings(), Map.of());
        ClusterCheck.awaitTopicAccess(kafkaConfig, topics, org.apache.kafka.common.acl.AclOperation.WRITE, ClusterCheck.DEFAULT_TIMEOUT);
        return topics;
    }

    /**
     * Ends the command with one line if a send was refused for a reason retrying cannot fix (authentication, an
     * ACL); the publisher itself only counts and logs failures, as an embedding service wants.
     */
    private static void failIfRefused(ActivationPublisher publisher, PublisherOptions options, List<String> topics) {
        Throwable f = publisher.lastSendFailure();
        if (f == null) {
            return;
        }
        for (Throwable t = f; t != null; t = t.getCause()) {
            if (t instanceof org.apache.kafka.common.errors.AuthorizationException
                    || t instanceof org.apache.kafka.common.errors.AuthenticationException) {
                KafkaUnavailableException k = ClusterCheck.explain(KafkaClientConfig.of(options.bootstrapServers(), options.kafka()),
                        t, ClusterCheck.DEFAULT_TIMEOUT, "WRITE", topics);
                throw k;
            }
        }
    }

    void validateSource(String src) {
        switch (src) {
            case "minilm" -> {
                checkedMaxLength();
                if (textsPerBatch < 1 || textsPerBatch > 4096) {
                    throw bad("--texts-per-batch must be in [1, 4096] (got " + textsPerBatch + ")");
                }
                if (threads < 0) {
                    throw bad("--threads must be >= 0 (got " + threads + ")");
                }
                if (stdin && !textFiles.isEmpty()) {
                    throw bad("--stdin and --text-file are exclusive");
                }
                if (stdin && repeat) {
                    throw bad("--repeat cannot re-read --stdin");
                }
                for (Path f : textFiles) {
                    if (!Files.isReadable(f)) {
                        throw bad("--text-file " + f + ": file not found or not readable");
                    }
                }
                try {
                    EuroparlCorpus.Filter.parse(corpus);
                } catch (IllegalArgumentException e) {
                    throw bad("--corpus must be english or all (got " + corpus + ")");
                }
            }
            case "synthetic" -> {
                try {
                    syntheticConfig();
                } catch (IllegalArgumentException e) {
                    throw bad("synthetic options: " + e.getMessage().replace("features", "--features").replace("dIn", "--d-in")
                            .replace("alpha", "--alpha").replace("meanActive", "--mean-active").replace("magnitudeMean", "--magnitude")
                            .replace("noiseStd", "--noise"));
                }
                if (hookpoints.size() > 1) {
                    throw bad("--hookpoint: synthetic publishes one hookpoint (got " + hookpoints + ")");
                }
                if (repeat) {
                    throw bad("--repeat does not apply to --source synthetic (it is endless unless --max-tokens is given)");
                }
            }
            default -> {
                if (files.isEmpty()) {
                    throw bad("--file is required for --source " + src);
                }
                for (Path f : files) {
                    if (!Files.isRegularFile(f)) {
                        throw bad("--file " + f + ": file not found");
                    }
                }
                if (hookpoints.size() > 1) {
                    throw bad("--hookpoint: " + src + " publishes one hookpoint (got " + hookpoints + ")");
                }
            }
        }
    }

    SyntheticConfig syntheticConfig() {
        return new SyntheticConfig(features, dIn, alpha, meanActive, magnitude, noise, seed);
    }

    private RowSource synthetic() {
        SyntheticActivations s = new SyntheticActivations(syntheticConfig(), maxTokens == 0 ? -1 : maxTokens);
        if (dictionaryOut != null) {
            s.writeDictionary(dictionaryOut);
            err.printf("wrote true dictionary [%d, %d] to %s%n", features, dIn, dictionaryOut);
        }
        return s;
    }

    /** Opens every file first, so a bad one is refused before anything is published. */
    private List<RowSource> openFiles(String src) {
        List<RowSource> sources = new ArrayList<>();
        try {
            for (Path f : files) {
                RowSource s = src.equals("npy") ? Npy.open(f) : ArrowActivationReader.open(f);
                sources.add(s);
                if (s.dIn() != sources.get(0).dIn()) {
                    throw new IllegalArgumentException(f + ": d is " + s.dIn() + " but " + files.get(0) + " has d " + sources.get(0).dIn());
                }
            }
            return sources;
        } catch (IllegalArgumentException e) {
            sources.forEach(RowSource::close);
            throw bad("--file: " + e.getMessage());
        }
    }

    private int runRows(PublisherOptions options, MeterRegistry registry, List<RowSource> first, Supplier<List<RowSource>> again) {
        String hook = hookpoints.isEmpty() ? (source.equalsIgnoreCase("synthetic") ? SyntheticActivations.DEFAULT_HOOKPOINT : "replay") : hookpoints.get(0);
        AtomicLong tokens = new AtomicLong();
        List<String> topics = prepareTopics(options, Set.of(hook));
        try (ActivationPublisher publisher = new ActivationPublisher(options, registry);
             Progress progress = new Progress(publisher, tokens, Set.of(hook))) {
            err.printf("publishing %s rows (d=%d) to %s%n", source, first.get(0).dIn(), Topics.activations(options.model(), hook));
            RowPublisher rows = new RowPublisher(publisher, hook);
            List<RowSource> sources = first;
            while (true) {
                long before = tokens.get();
                for (RowSource s : sources) {
                    try (s) {
                        while (!progress.stopped() && (maxTokens == 0 || tokens.get() < maxTokens)) {
                            int want = (int) Math.min(options.batchRows(), maxTokens == 0 ? Long.MAX_VALUE : maxTokens - tokens.get());
                            RowChunk chunk = s.next(want);
                            if (chunk == null) {
                                break;
                            }
                            rows.publish(chunk);
                            tokens.addAndGet(chunk.rows());
                            failIfRefused(publisher, options, topics);
                        }
                    }
                }
                if (!repeat || tokens.get() == before || progress.stopped() || (maxTokens > 0 && tokens.get() >= maxTokens)) {
                    break;
                }
                sources = again.get();
            }
            progress.finish();
            failIfRefused(publisher, options, topics);
        }
        return 0;
    }

    private int runMiniLm(PublisherOptions options, MeterRegistry registry) {
        Set<String> hooks = new LinkedHashSet<>(hookpoints.isEmpty() ? List.of(MiniLmModel.residPost(3)) : hookpoints);
        try (MiniLmModel m = MiniLmModel.load(maxLength, threads)) {
            for (String h : hooks) {
                try {
                    m.hookpoint(h);
                } catch (IllegalArgumentException e) {
                    throw bad("--hookpoint " + h + " is not a MiniLM hookpoint (see --list-hookpoints)");
                }
            }
            List<String> topics = prepareTopics(options, hooks);
            // token text for readers of the codes (the monitor's explorer), once per model on a compacted topic
            String vocabTopic = VocabularyPublisher.publish(KafkaClientConfig.of(options.bootstrapServers(), options.kafka()),
                    topicSettings(), VocabularyPublisher.of(options.model(), m.tokenizer()));
            err.printf("published the tokenizer vocabulary (%d tokens) to %s%n", m.tokenizer().vocabularySize(), vocabTopic);
            AtomicLong tokens = new AtomicLong();
            TextLines[] texts = {texts()};
            try (ActivationPublisher publisher = new ActivationPublisher(options, registry);
                 Progress progress = new Progress(publisher, tokens, hooks)) {
                for (String h : hooks) {
                    err.printf("publishing %s (d=%d) to %s%n", h, m.hookpoint(h).dIn(), Topics.activations(options.model(), h));
                }
                long textsThisPass = 0;
                while (!progress.stopped() && (maxTokens == 0 || tokens.get() < maxTokens)) {
                    List<String> batch = texts[0].next(textsPerBatch);
                    if (batch.isEmpty()) {
                        if (!repeat || textsThisPass == 0) {
                            break;
                        }
                        texts[0].close();
                        texts[0] = texts();
                        textsThisPass = 0;
                        continue;
                    }
                    textsThisPass += batch.size();
                    ForwardPass pass = m.forward(batch, hooks);
                    pass.publishTo(publisher);
                    tokens.addAndGet(pass.rows());
                    failIfRefused(publisher, options, topics);
                }
                progress.finish();
                failIfRefused(publisher, options, topics);
            } finally {
                texts[0].close();
            }
        }
        return 0;
    }

    private TextLines texts() {
        if (stdin) {
            return TextLines.perLine(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)));
        }
        if (!textFiles.isEmpty()) {
            Iterator<Path> it = textFiles.iterator();
            // concatenation of the files, in order
            return new TextLines(new BufferedReader(new java.io.Reader() {
                java.io.Reader current;

                @Override
                public int read(char[] buf, int off, int len) throws IOException {
                    while (true) {
                        if (current == null) {
                            if (!it.hasNext()) {
                                return -1;
                            }
                            current = Files.newBufferedReader(it.next(), StandardCharsets.UTF_8);
                        }
                        int n = current.read(buf, off, len);
                        if (n >= 0) {
                            return n;
                        }
                        current.close();
                        current = null;
                        buf[off] = '\n'; // a file without a final newline does not merge into the next
                        return 1;
                    }
                }

                @Override
                public void close() throws IOException {
                    if (current != null) {
                        current.close();
                    }
                }
            }), line -> line.isBlank() ? List.of() : List.of(line.strip()));
        }
        return EuroparlCorpus.lines(EuroparlCorpus.Filter.parse(corpus));
    }

    /** Progress lines every --progress-ms on stderr, Ctrl-C handling and the final summary on stdout. */
    private final class Progress implements AutoCloseable {
        private final ActivationPublisher publisher;
        private final AtomicLong tokens;
        private final Set<String> hooks;
        private final long start = System.nanoTime();
        private final ScheduledExecutorService timer;
        private final CountDownLatch done = new CountDownLatch(1);
        private final Thread hook;
        private volatile boolean stop;
        private long lastTokens;
        private long lastNanos = start;

        Progress(ActivationPublisher publisher, AtomicLong tokens, Set<String> hooks) {
            this.publisher = publisher;
            this.tokens = tokens;
            this.hooks = hooks;
            this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "produce-progress");
                t.setDaemon(true);
                return t;
            });
            if (progressMs > 0) {
                timer.scheduleAtFixedRate(this::line, progressMs, progressMs, TimeUnit.MILLISECONDS);
            }
            this.hook = new Thread(() -> {
                stop = true;
                try {
                    done.await(30, TimeUnit.SECONDS); // let the main loop stop and close() flush
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "produce-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
        }

        boolean stopped() {
            return stop;
        }

        private synchronized void line() {
            long now = System.nanoTime();
            long t = tokens.get();
            PublisherStats s = publisher.stats();
            double rate = (t - lastTokens) / ((now - lastNanos) / 1e9);
            lastTokens = t;
            lastNanos = now;
            err.printf(Locale.ROOT, "[produce %6.1f s] tokens %,d (%,.0f tok/s)  rows acked %,d in %,d batches  %.1f MB  dropped %,d  buffered %.1f MB%n",
                    (now - start) / 1e9, t, rate, s.ackedRows(), s.ackedBatches(), s.ackedBytes() / 1e6, s.droppedRows(), s.bufferedBytes() / 1e6);
        }

        void finish() {
            timer.shutdownNow();
            boolean flushed = publisher.flush(publisher.options().closeTimeout());
            double secs = (System.nanoTime() - start) / 1e9;
            PublisherStats s = publisher.stats();
            out.printf(Locale.ROOT, "produced %,d tokens x %d hookpoint(s) %s in %.1f s (%,.0f tok/s): %,d rows acknowledged in %,d batches, "
                            + "%.1f MB, %,d dropped, %,d failed batches%s%n",
                    tokens.get(), hooks.size(), hooks, secs, tokens.get() / secs, s.ackedRows(), s.ackedBatches(), s.ackedBytes() / 1e6,
                    s.droppedRows(), s.failedBatches(), flushed ? "" : " (NOT all acknowledged before the close timeout)");
            out.flush();
        }

        @Override
        public void close() {
            timer.shutdownNow();
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down: the hook is running and waits for done
            }
        }
    }
}
