package dev.livesae.cli;

import dev.livesae.clients.ClusterCheck;
import java.io.PrintStream;
import java.net.URI;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.livesae.engine.Sae;
import dev.livesae.engine.TopKCodes;
import dev.livesae.engine.eval.CoreMetrics;
import dev.livesae.kafka.local.BrokerOptions;
import dev.livesae.kafka.local.EmbeddedKafkaBroker;
import dev.livesae.clients.KafkaClientConfig;
import dev.livesae.clients.TopicAdmin;
import dev.livesae.monitor.DriftDecision;
import dev.livesae.monitor.MonitorOptions;
import dev.livesae.monitor.MonitorService;
import dev.livesae.monitor.WindowSummary;
import dev.livesae.producer.ActivationPublisher;
import dev.livesae.producer.PublisherOptions;
import dev.livesae.sources.model.ForwardPass;
import dev.livesae.sources.model.MiniLmModel;
import dev.livesae.sources.EuroparlCorpus;
import dev.livesae.sources.VocabularyPublisher;
import dev.livesae.sources.TextLines;
import dev.livesae.trainer.TrainerOptions;
import dev.livesae.trainer.TrainerProgress;
import dev.livesae.trainer.TrainerService;
import dev.livesae.wire.Topics;
import io.micrometer.core.instrument.Counter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole pipeline in one process: an embedded broker, MiniLM over Europarl publishing one hookpoint,
 * the online trainer, the monitor; live progress; at the end the checkpoint and the top features with
 * the held-out contexts that activate them most. Every part is the production class, wired as in a
 * deployment, only in one JVM.
 */
public final class Demo {
    private static final Logger LOG = LoggerFactory.getLogger(Demo.class);
    private static final Duration CATCH_UP_TIMEOUT = Duration.ofMinutes(3);

    /** A feature of the final dictionary, measured on held-out text. */
    public record FeatureReport(int latent, long fires, double density, double meanActivation, List<String> contexts) {}

    /** What a run did. */
    public record Report(long tokensProduced, long tokensTrained, long tokensMonitored, TrainerProgress trainer,
                         Optional<WindowSummary> lastWindow, Path checkpoint, long heldOutTokens,
                         List<FeatureReport> features, double seconds, boolean interrupted,
                         Optional<CoreMetrics.Result> core) {}

    private final DemoOptions o;
    private final PrintStream out;
    private volatile boolean stopRequested;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final CompletableFuture<URI> serving = new CompletableFuture<>();

    private final Supplier<TextLines> corpusSource;

    public Demo(DemoOptions options, PrintStream out) {
        this(options, out, EuroparlCorpus::lines);
    }

    /** With another text source (tests: a corpus smaller than {@code --tokens}). */
    Demo(DemoOptions options, PrintStream out, Supplier<TextLines> corpus) {
        this.o = options;
        this.out = out;
        this.corpusSource = corpus;
    }

    /** Ends production early (Ctrl-C); the run still trains what was sent, checkpoints and reports. */
    public void requestStop() {
        stopRequested = true;
        stop.countDown();
    }

    /** With {@code --serve}: completes with the explorer page's URL once the summary is printed and the page serves. */
    public CompletableFuture<URI> serving() {
        return serving;
    }

    public Report run() throws Exception {
        long t0 = System.nanoTime();
        String model = MiniLmModel.MODEL_NAME;
        String activations = Topics.activations(model, o.hookpoint());
        String codes = Topics.codes(model, o.hookpoint());
        out.printf(Locale.ROOT, "livesae demo: %s %s -> TopK SAE (d_sae=%d, k=%d) on %,d tokens of Europarl text%n",
                model, o.hookpoint(), o.dSae(), o.k(), o.tokens());
        try (MiniLmModel minilm = MiniLmModel.load(MiniLmModel.DEFAULT_MAX_LENGTH, 0)) {
            int dIn = minilm.hookpoint(o.hookpoint()).dIn();
            try (EmbeddedKafkaBroker broker = o.kafka() == null ? EmbeddedKafkaBroker.start(BrokerOptions.defaults()) : null) {
                KafkaClientConfig kafka = broker != null ? KafkaClientConfig.of(broker.bootstrapServers()) : o.kafka();
                String bootstrap = kafka.bootstrap();
                if (broker == null) {
                    ClusterCheck.awaitCluster(kafka, ClusterCheck.DEFAULT_TIMEOUT);
                }
                // the broker's partition count and replication factor, as on the cluster the demo is pointed at
                TopicAdmin.createTopics(kafka, List.of(activations, codes, Topics.deadLetter(activations)),
                        dev.livesae.clients.TopicSettings.brokerDefaults(), java.util.Map.of());
                out.printf("  broker   %s (%s, topics %s -> %s)%n", bootstrap, broker != null ? "embedded KRaft" : "external",
                        activations, codes);
                // token text for the monitor's explorer: the tokenizer vocabulary, once, on a compacted topic
                String vocab = VocabularyPublisher.publish(kafka, dev.livesae.clients.TopicSettings.brokerDefaults(),
                        VocabularyPublisher.of(model, minilm.tokenizer()));
                out.printf("  vocab    %s (%,d tokens)%n", vocab, minilm.tokenizer().vocabularySize());

                MonitorOptions monitorOptions = MonitorOptions.forTopics(bootstrap, List.of(codes))
                        .withKafkaProperties(kafka.userProperties())
                        .withWindowTokens(o.windowTokens())
                        .withApplicationId("livesae-demo-" + Long.toHexString(System.nanoTime()))
                        .withMetrics("127.0.0.1", o.monitorPort());
                try (MonitorService monitor = MonitorService.start(monitorOptions)) {
                    if (!monitor.awaitRunning(Duration.ofSeconds(90))) {
                        throw new IllegalStateException("the monitor did not reach RUNNING (state " + monitor.state() + ")");
                    }
                    out.printf("  monitor  %s/metrics  %s/features/top  explorer %s%n", monitor.httpUri(), monitor.httpUri(),
                            monitor.pageUri());
                    TrainerOptions trainerOptions = TrainerOptions.builder(bootstrap, activations)
                            .kafkaProperties(kafka.userProperties())
                            .model(model).hookpoint(o.hookpoint())
                            .checkpointDir(o.dataDir().resolve("checkpoints"))
                            .dSae(o.dSae()).k(o.k()).batch(o.batch())
                            .architecture(o.architecture()).matryoshkaPrefixes(o.matryoshkaPrefixes())
                            .shuffleBuffer(o.batch() * 4)
                            .promoteEvery(o.promoteEvery())
                            // "dead" = silent for a quarter of the run (10M tokens, the production default, is longer than a demo)
                            .deadTokens(Math.max(1, o.tokens() / 4))
                            .resampleEvery(o.resampleEvery()).resampleMaxTimes(o.resampleMaxTimes())
                            .warmupSteps(Math.min(1000, Math.max(1, o.tokens() / o.batch() / 20)))
                            .metricsPort(o.trainerMetricsPort())
                            .progressEvery(Duration.ofSeconds(1))
                            .build();
                    try (TrainerService trainer = new TrainerService(trainerOptions)) {
                        trainer.start();
                        trainer.metricsUrl().ifPresent(u -> out.printf("  trainer  %s (d_in=%d)%n", u, dIn));
                        return produceTrainReport(minilm, kafka, monitor, trainer, t0);
                    }
                }
            }
        }
    }

    private Report produceTrainReport(MiniLmModel minilm, KafkaClientConfig kafka, MonitorService monitor,
                                      TrainerService trainer, long t0) throws Exception {
        AtomicLong produced = new AtomicLong();
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "livesae-demo-progress");
            t.setDaemon(true);
            return t;
        });
        ticker.scheduleAtFixedRate(() -> out.println(progressLine(t0, produced.get(), trainer, monitor)),
                (long) (o.progressSeconds() * 1000), (long) (o.progressSeconds() * 1000), TimeUnit.MILLISECONDS);
        TextLines corpus = corpusSource.get();
        // held out before anything is trained, so the summary always has text the SAE never saw
        List<String> heldOutTexts = corpus.next(o.heldOutTexts());
        try {
            PublisherOptions publisherOptions = PublisherOptions.defaults(kafka.bootstrap(), MiniLmModel.MODEL_NAME)
                    .withTopics(false, 1).withKafka(kafka.userProperties());
            try (ActivationPublisher publisher = new ActivationPublisher(publisherOptions)) {
                Set<String> hooks = Set.of(o.hookpoint());
                while (!stopRequested && produced.get() < o.tokens() && corpus.hasNext()) {
                    ForwardPass pass = minilm.forward(corpus.next(o.textsPerPass()), hooks);
                    pass.publishTo(publisher);
                    produced.addAndGet(pass.rows());
                }
                if (!stopRequested && produced.get() < o.tokens()) {
                    out.printf(Locale.ROOT, "  corpus   used up after %,d tokens (fewer than --tokens %,d); training on what was sent%n",
                            produced.get(), o.tokens());
                }
                if (!publisher.flush(Duration.ofSeconds(60))) {
                    LOG.warn("the publisher did not drain within 60 s");
                }
                produced.set(publisher.stats().ackedRows());
            }
            awaitConsumed(trainer, produced.get());
            trainer.stop();
            TrainerProgress last = trainer.finished().get(2, TimeUnit.MINUTES);
            long monitored = awaitMonitored(monitor, last.codeBatches() > 0 ? last.tokensConsumed() : 0);
            ticker.shutdownNow();
            out.println(progressLine(t0, produced.get(), trainer, monitor));
            Path checkpoint = trainer.lastCheckpoint()
                    .orElseThrow(() -> new IllegalStateException("the trainer wrote no checkpoint"));
            // the checkpoint holds the trained weights (engine/) and the last promoted snapshot (dictionary/)
            Sae sae = Sae.load(checkpoint.resolve("engine"));
            TopActivations top = new TopActivations(sae.dSae(), o.contexts(), Long.MAX_VALUE);
            long heldOut = encodeHeldOut(minilm, heldOutTexts, sae, top);
            List<FeatureReport> features = features(minilm, top, heldOut);
            Optional<WindowSummary> window = monitor.latestWindows().values().stream()
                    .filter(w -> w.hookpoint().equals(o.hookpoint())).findFirst();
            Report report = new Report(produced.get(), last.tokensTrained(), monitored, last, window, checkpoint, heldOut,
                    features, (System.nanoTime() - t0) / 1e9, stopRequested, trainer.coreMetrics());
            printSummary(report, monitor);
            if (o.serve() && !stopRequested) {
                out.printf("%nServing the feature explorer at %s (broker and monitor stay up; Ctrl-C to stop)%n", monitor.pageUri());
                out.flush();
                serving.complete(monitor.pageUri());
                stop.await();
            }
            return report;
        } finally {
            ticker.shutdownNow();
            corpus.close();
        }
    }

    /**
     * Waits until the trainer has consumed every produced token, or has caught up with the topic having
     * dead-lettered some records, or the catch-up timeout passes.
     */
    private static void awaitConsumed(TrainerService trainer, long produced) throws InterruptedException {
        long deadline = System.nanoTime() + CATCH_UP_TIMEOUT.toNanos();
        while (!trainer.finished().isDone() && System.nanoTime() < deadline) {
            TrainerProgress p = trainer.progress();
            if (p.tokensConsumed() >= produced || p.lag() == 0 && p.rejectedRecords() > 0) {
                return;
            }
            Thread.sleep(100);
        }
    }

    private static long awaitMonitored(MonitorService monitor, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        long seen = monitoredTokens(monitor);
        while (seen < expected && System.nanoTime() < deadline) {
            Thread.sleep(100);
            seen = monitoredTokens(monitor);
        }
        return seen;
    }

    private static long monitoredTokens(MonitorService monitor) {
        return (long) monitor.registry().find("livesae.monitor.tokens").counters().stream().mapToDouble(Counter::count).sum();
    }

    private long encodeHeldOut(MiniLmModel minilm, List<String> heldOutTexts, Sae sae, TopActivations top) {
        long tokens = 0;
        long sequenceBase = 0;
        Set<String> hooks = Set.of(o.hookpoint());
        for (int done = 0; done < heldOutTexts.size(); ) {
            List<String> texts = heldOutTexts.subList(done, Math.min(heldOutTexts.size(), done + o.textsPerPass()));
            ForwardPass pass = minilm.forward(texts, hooks);
            float[] x = pass.block(o.hookpoint()).values();
            TopKCodes c = sae.encode(x, pass.rows());
            long[] seq = new long[pass.rows()];
            for (int r = 0; r < seq.length; r++) {
                seq[r] = sequenceBase + pass.sequenceIndex()[r];
            }
            top.accept(seq, pass.positions(), pass.tokenIds(), c.indices(), c.values(), c.k());
            sequenceBase += pass.sequences();
            tokens += pass.rows();
            done += texts.size();
        }
        return tokens;
    }

    /** Densities of the "specific" features shown after the most frequent ones. */
    static final double SPECIFIC_MIN_DENSITY = 0.001;
    static final double SPECIFIC_MAX_DENSITY = 0.03;

    /** Half the most frequent features, then the strongest specific ones (firing on 0.1 % to 3 % of tokens). */
    private List<FeatureReport> features(MiniLmModel minilm, TopActivations top, long heldOut) {
        int frequent = (o.topFeatures() + 1) / 2;
        List<TopActivations.Feature> chosen = new ArrayList<>(top.mostFrequent(frequent));
        addNew(chosen, top.strongestSpecific(o.topFeatures(), SPECIFIC_MIN_DENSITY, SPECIFIC_MAX_DENSITY));
        addNew(chosen, top.mostFrequent(o.topFeatures())); // fills up when few features are specific
        List<FeatureReport> out = new ArrayList<>();
        for (TopActivations.Feature f : chosen) {
            List<String> contexts = new ArrayList<>();
            for (TopActivations.Example e : f.examples()) {
                int before = Math.min(e.position(), 8);
                int[] ids = top.context(e.sequenceId(), e.position(), before, 4);
                contexts.add(String.format(Locale.ROOT, "%5.2f  %s", e.value(), Snippets.render(minilm.decode(ids), before)));
            }
            out.add(new FeatureReport(f.latent(), f.fires(), heldOut == 0 ? 0 : (double) f.fires() / heldOut, f.meanValue(), contexts));
        }
        return out;
    }

    /** Appends the candidates not chosen yet, up to --top-features in all. */
    private void addNew(List<TopActivations.Feature> chosen, List<TopActivations.Feature> candidates) {
        for (TopActivations.Feature f : candidates) {
            if (chosen.size() < o.topFeatures() && chosen.stream().noneMatch(c -> c.latent() == f.latent())) {
                chosen.add(f);
            }
        }
    }

    private String progressLine(long t0, long produced, TrainerService trainer, MonitorService monitor) {
        double s = (System.nanoTime() - t0) / 1e9;
        TrainerProgress p = trainer.progress();
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
                "[%5.0fs] produced %,9d tok (%,.0f/s) | trained %,9d  fvu %.3f  L0 %.1f  dead %.1f%%  dict v%d",
                s, produced, produced / Math.max(s, 1e-9), p.tokensTrained(), p.fvu(), p.l0(), 100 * p.deadFraction(),
                p.dictionaryVersion()));
        monitor.latestWindows().values().stream().filter(w -> w.hookpoint().equals(o.hookpoint())).findFirst()
                .ifPresent(w -> line.append(w.drift() == null
                        ? String.format(Locale.ROOT, " | monitor v%d window %d (baseline forming)", w.dictionaryVersion(), w.windowIndex())
                        : String.format(Locale.ROOT, " | drift v%d PSI %.3f JS %.4f bits%s", w.dictionaryVersion(), w.drift().psi(),
                                w.drift().jsBits(), decision(w.drift().decision()))));
        return line.toString();
    }

    /** The calibrated drift decision of a window, e.g. " | p 0.41 stationary" or " | p 1e-15.2 DRIFTED". */
    private static String decision(DriftDecision.Result d) {
        if (d == null) {
            return "";
        }
        String p = d.pValue() >= 1e-4 ? String.format(Locale.ROOT, "%.3g", d.pValue())
                : String.format(Locale.ROOT, "1e%.1f", d.log10PValue());
        return " | p " + p + (d.detected() ? " DRIFTED" : " stationary");
    }

    private void printSummary(Report r, MonitorService monitor) {
        TrainerProgress t = r.trainer();
        out.println();
        out.printf(Locale.ROOT, "Summary (%.0f s%s)%n", r.seconds(), r.interrupted() ? ", stopped early" : "");
        out.printf(Locale.ROOT, "  produced %,d tokens; trained %,d in %,d steps; monitored %,d; rejected records %d%n",
                r.tokensProduced(), r.tokensTrained(), t.step(), r.tokensMonitored(), t.rejectedRecords());
        out.printf(Locale.ROOT, "  last step: FVU %.4f, L0 %.1f, dead latents %.2f%%; dictionary version %d%n",
                t.fvu(), t.l0(), 100 * t.deadFraction(), t.dictionaryVersion());
        r.core().ifPresent(c -> out.printf(Locale.ROOT, "  core metrics of dictionary v%d (SAEBench names) on %,d held-out "
                + "tokens: explained_variance %.4f, mse %.4g, cossim %.4f, l2_ratio %.3f, relative_reconstruction_bias %.3f,%n"
                + "    l0 %.1f, frac_alive %.3f, freq_over_1_percent %.3f, freq_over_10_percent %.3f, "
                + "average_max_decoder_cosine_sim %.3f, average_max_encoder_cosine_sim %.3f%n", t.dictionaryVersion(),
                c.rows(), c.explainedVariance(), c.mse(), c.cossim(), c.l2Ratio(), c.relativeReconstructionBias(), c.l0(),
                c.fracAlive(), c.freqOver1Percent(), c.freqOver10Percent(), c.averageMaxDecoderCosineSim(),
                c.averageMaxEncoderCosineSim()));
        r.lastWindow().ifPresent(w -> out.printf(Locale.ROOT,
                "  monitor: window %d of v%d, dead %.1f%%, mean L0 %.1f%s%n", w.windowIndex(), w.dictionaryVersion(),
                100 * w.density().deadFraction(), w.l0().mean(),
                w.drift() == null ? "" : String.format(Locale.ROOT, ", drift PSI %.3f, JS %.4f bits%s", w.drift().psi(),
                        w.drift().jsBits(), decision(w.drift().decision()))));
        out.printf("  checkpoint: %s (engine/ and dictionary/ are SAELens-layout SAEs)%n", r.checkpoint());
        out.printf(Locale.ROOT, "%nTop %d features on %,d held-out tokens: the most frequent, then the strongest firing on"
                + " %.1f-%.0f %% of tokens%n(density = share of tokens it fires on; contexts: activation, text with the token in [[ ]]):%n",
                r.features().size(), r.heldOutTokens(), 100 * SPECIFIC_MIN_DENSITY, 100 * SPECIFIC_MAX_DENSITY);
        for (FeatureReport f : r.features()) {
            out.printf(Locale.ROOT, "  #%-5d density %5.2f%%  mean act %.2f%n", f.latent(), 100 * f.density(), f.meanActivation());
            for (String c : f.contexts()) {
                out.println("         " + c);
            }
        }
    }
}
