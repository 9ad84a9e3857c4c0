package dev.livesae.sources.intervene;

import dev.livesae.sources.model.SplitTransformer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * {@code sae eval}'s downstream fidelity on live traffic: a model server that runs MiniLM split at the SAE's
 * hookpoint ({@link SplitTransformer}) offers each request's head here; a sampled fraction of them is measured
 * against the latest dictionary ({@link Fidelity#measure}: the tail four more times, original, spliced, zero-
 * and mean-ablated; the mean is that of the sampled traffic so far) and the similarities of the last
 * {@code window} sampled requests are exported. When the dictionary supplier returns a new dictionary the
 * window starts over. Measuring costs about four tail passes per sampled request: call {@link #offer} off the
 * request thread (e.g. from a single-thread executor) if that latency matters.
 *
 * <p>Meters (Prometheus names): {@code livesae_fidelity_recovered{hookpoint}} (NaN until a request was
 * measured), {@code livesae_fidelity_similarity{hookpoint, variant="spliced"|"zero_ablated"|"mean_ablated"}},
 * {@code livesae_fidelity_sampled_requests_total{hookpoint}} (requests measured). Thread-safe.
 */
public final class LiveFidelity {
    private final SplitTransformer split;
    private final Supplier<SaeDictionary> dictionary;
    private final double sampleFraction;
    private final int window;
    private final SplittableRandom random;
    private final Deque<Fidelity.Sums> recent = new ArrayDeque<>();
    private final Counter samples;
    private SaeDictionary current;
    private double[] sum;
    private long tokens;
    private volatile Fidelity.Similarities latest;

    /**
     * @param sampleFraction fraction of offered requests measured, in [0, 1]
     * @param window         sampled requests the exported figures cover, &gt;= 1
     */
    public LiveFidelity(SplitTransformer split, Supplier<SaeDictionary> dictionary, double sampleFraction, int window,
                        long seed, MeterRegistry registry) {
        if (!(sampleFraction >= 0 && sampleFraction <= 1)) {
            throw new IllegalArgumentException("sampleFraction must be in [0, 1] (got " + sampleFraction + ")");
        }
        if (window < 1) {
            throw new IllegalArgumentException("window must be >= 1 (got " + window + ")");
        }
        this.split = split;
        this.dictionary = dictionary;
        this.sampleFraction = sampleFraction;
        this.window = window;
        this.random = new SplittableRandom(seed);
        String hook = split.hookpoint().name();
        Gauge.builder("livesae.fidelity.recovered", this, f -> f.value(Fidelity.Similarities::recovered))
                .description("(spliced - zero_ablated) / (1 - zero_ablated) of the sentence-embedding cosine over the last sampled requests, latest dictionary")
                .tag("hookpoint", hook).register(registry);
        Gauge.builder("livesae.fidelity.similarity", this, f -> f.value(Fidelity.Similarities::spliced))
                .description("Mean cosine of sentence embeddings with the hookpoint replaced (variant) vs the original, last sampled requests")
                .tag("hookpoint", hook).tag("variant", "spliced").register(registry);
        Gauge.builder("livesae.fidelity.similarity", this, f -> f.value(Fidelity.Similarities::zeroAblated))
                .description("Mean cosine of sentence embeddings with the hookpoint replaced (variant) vs the original, last sampled requests")
                .tag("hookpoint", hook).tag("variant", "zero_ablated").register(registry);
        Gauge.builder("livesae.fidelity.similarity", this, f -> f.value(Fidelity.Similarities::meanAblated))
                .description("Mean cosine of sentence embeddings with the hookpoint replaced (variant) vs the original, last sampled requests")
                .tag("hookpoint", hook).tag("variant", "mean_ablated").register(registry);
        samples = Counter.builder("livesae.fidelity.sampled.requests").baseUnit("requests")
                .description("Requests whose fidelity was measured").tag("hookpoint", hook).register(registry);
    }

    private double value(java.util.function.ToDoubleFunction<Fidelity.Similarities> f) {
        Fidelity.Similarities s = latest;
        return s == null ? Double.NaN : f.applyAsDouble(s);
    }

    /** Offers one served request; measures it with probability {@code sampleFraction}. Returns whether it did. */
    public boolean offer(SplitTransformer.Head head) {
        synchronized (this) {
            if (random.nextDouble() >= sampleFraction) {
                return false;
            }
        }
        SaeDictionary sae = dictionary.get();
        if (sae == null) {
            return false;
        }
        float[] x = head.rows();
        float[] mean;
        synchronized (this) {
            int d = x.length / head.tokens();
            if (sum == null || sum.length != d) {
                sum = new double[d];
                tokens = 0;
            }
            for (int i = 0; i < x.length; i++) {
                sum[i % d] += x[i];
            }
            tokens += head.tokens();
            mean = new float[d];
            for (int j = 0; j < d; j++) {
                mean[j] = (float) (sum[j] / tokens);
            }
        }
        Fidelity.Sums sums = new Fidelity.Sums();
        sums.add(Fidelity.measure(split, head, sae, mean));
        synchronized (this) {
            if (sae != current) {
                recent.clear();
                current = sae;
            }
            recent.addLast(sums);
            while (recent.size() > window) {
                recent.removeFirst();
            }
            Fidelity.Sums all = new Fidelity.Sums();
            recent.forEach(all::add);
            latest = all.result();
        }
        samples.increment();
        return true;
    }

    /** The similarities over the last sampled requests, if any was measured. */
    public Optional<Fidelity.Similarities> current() {
        return Optional.ofNullable(latest);
    }
}
