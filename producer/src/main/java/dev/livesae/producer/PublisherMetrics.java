package dev.livesae.producer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The publisher's meters, tagged by hookpoint, registered in every registry it is bound to (also for
 * hookpoints first seen after binding). Counts live in this object, so the publisher's own totals
 * ({@link ActivationPublisher#stats()}) and the meters always agree.
 *
 * <ul>
 *   <li>{@code livesae.producer.tokens} (tokens) rows acknowledged by Kafka</li>
 *   <li>{@code livesae.producer.bytes} (bytes) serialized record bytes acknowledged</li>
 *   <li>{@code livesae.producer.batches} (batches) records acknowledged</li>
 *   <li>{@code livesae.producer.dropped} (tokens) rows refused under DROP</li>
 *   <li>{@code livesae.producer.send.errors} (batches) records Kafka failed to deliver</li>
 *   <li>{@code livesae.producer.send.latency} timer from hand-off to the Kafka client to acknowledgement</li>
 *   <li>{@code livesae.producer.buffered} gauge (bytes) accepted but not yet acknowledged</li>
 * </ul>
 */
public final class PublisherMetrics implements MeterBinder {

    /** Counts of one hookpoint. */
    static final class Hook {
        final String hookpoint;
        final LongAdder tokens = new LongAdder();
        final LongAdder bytes = new LongAdder();
        final LongAdder batches = new LongAdder();
        final LongAdder dropped = new LongAdder();
        final LongAdder errors = new LongAdder();
        final List<Timer> latency = new CopyOnWriteArrayList<>();

        Hook(String hookpoint) {
            this.hookpoint = hookpoint;
        }

        void recordLatency(long nanos) {
            for (Timer t : latency) {
                t.record(nanos, TimeUnit.NANOSECONDS);
            }
        }
    }

    private final Map<String, Hook> hooks = new ConcurrentHashMap<>();
    private final List<MeterRegistry> registries = new CopyOnWriteArrayList<>();
    private final LongSupplier bufferedBytes;

    PublisherMetrics(LongSupplier bufferedBytes) {
        this.bufferedBytes = bufferedBytes;
    }

    @Override
    public synchronized void bindTo(MeterRegistry registry) {
        registries.add(registry);
        Gauge.builder("livesae.producer.buffered", () -> (double) bufferedBytes.getAsLong())
                .description("Activation bytes accepted by the publisher and not yet acknowledged by Kafka")
                .baseUnit("bytes")
                .register(registry);
        hooks.values().forEach(h -> register(registry, h));
    }

    Hook hook(String hookpoint) {
        Hook h = hooks.get(hookpoint);
        if (h != null) {
            return h;
        }
        synchronized (this) {
            return hooks.computeIfAbsent(hookpoint, name -> {
                Hook created = new Hook(name);
                registries.forEach(r -> register(r, created));
                return created;
            });
        }
    }

    Map<String, Hook> hooks() {
        return hooks;
    }

    private static void register(MeterRegistry registry, Hook h) {
        Tags tags = Tags.of("hookpoint", h.hookpoint);
        FunctionCounter.builder("livesae.producer.tokens", h.tokens, LongAdder::doubleValue).tags(tags).baseUnit("tokens")
                .description("Activation rows (tokens) published and acknowledged by Kafka").register(registry);
        FunctionCounter.builder("livesae.producer.bytes", h.bytes, LongAdder::doubleValue).tags(tags).baseUnit("bytes")
                .description("Serialized activation record bytes acknowledged by Kafka (before Kafka compression)").register(registry);
        FunctionCounter.builder("livesae.producer.batches", h.batches, LongAdder::doubleValue).tags(tags).baseUnit("batches")
                .description("Activation batches (Kafka records) acknowledged by Kafka").register(registry);
        FunctionCounter.builder("livesae.producer.dropped", h.dropped, LongAdder::doubleValue).tags(tags).baseUnit("tokens")
                .description("Activation rows dropped because the publisher buffer was full (on-full=drop)").register(registry);
        FunctionCounter.builder("livesae.producer.send.errors", h.errors, LongAdder::doubleValue).tags(tags).baseUnit("batches")
                .description("Activation batches Kafka failed to deliver").register(registry);
        h.latency.add(Timer.builder("livesae.producer.send.latency").tags(tags)
                .description("Time from handing a batch to the Kafka client to its acknowledgement").register(registry));
    }
}
