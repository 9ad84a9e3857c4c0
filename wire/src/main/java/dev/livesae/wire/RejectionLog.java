package dev.livesae.wire;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.LongSupplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a service reports the records it rejects: a counter per reason, {@code livesae.records.rejected{reason,
 * component}}, every reason registered at 0 when this is built (so a query or an alert sees 0, not "no data"), and
 * at most one log line per reason per interval. A flood of bad records (a producer gone wrong, an attack) costs
 * one counter increment each, not one log line each; the line that ends a quiet interval says how many were not
 * logged. Thread-safe; the trainer ({@link DeadLetterPublisher}) and the monitor share it.
 */
public final class RejectionLog {
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);
    private static final Logger LOG = LoggerFactory.getLogger(RejectionLog.class);

    private final String component;
    private final long intervalNanos;
    private final LongSupplier nanoClock;
    private final Map<RejectReason, Counter> counters = new EnumMap<>(RejectReason.class);
    private final Map<RejectReason, Window> windows = new EnumMap<>(RejectReason.class);

    /** The lines of one reason: when the last was logged and how many rejections were not logged since. */
    private static final class Window {
        boolean logged;
        long lastLogNanos;
        long suppressed;
    }

    public RejectionLog(MeterRegistry registry, String component) {
        this(registry, component, DEFAULT_INTERVAL, System::nanoTime);
    }

    RejectionLog(MeterRegistry registry, String component, Duration interval, LongSupplier nanoClock) {
        Checks.notNull("registry", registry);
        Checks.text("component", component);
        if (interval == null || interval.isNegative()) {
            throw new IllegalArgumentException("interval must be >= 0 (got " + interval + ")");
        }
        this.component = component;
        this.intervalNanos = interval.toNanos();
        this.nanoClock = Checks.notNull("nanoClock", nanoClock);
        for (RejectReason r : RejectReason.values()) {
            counters.put(r, counter(registry, r, component));
            windows.put(r, new Window());
        }
    }

    /** The meter every service counts rejected records in. */
    public static Counter counter(MeterRegistry registry, RejectReason reason, String component) {
        return Counter.builder("livesae.records.rejected")
                .description("Records rejected and sent to the dead-letter topic, by reason")
                .baseUnit("records")
                .tag("reason", reason.name())
                .tag("component", component)
                .register(registry);
    }

    public Counter counter(RejectReason reason) {
        return counters.get(Checks.notNull("reason", reason));
    }

    /**
     * Counts one rejected record and logs it, unless a line for this reason was logged less than the interval ago.
     *
     * @param source where the record came from, e.g. {@code topic-partition@offset}
     * @return whether a line was logged
     */
    public boolean rejected(RejectReason reason, String source, String detail) {
        counter(reason).increment();
        Window w = windows.get(reason);
        long notLogged;
        synchronized (w) {
            long now = nanoClock.getAsLong();
            if (w.logged && now - w.lastLogNanos < intervalNanos) {
                w.suppressed++;
                return false;
            }
            notLogged = w.suppressed;
            w.suppressed = 0;
            w.lastLogNanos = now;
            w.logged = true;
        }
        if (notLogged == 0) {
            LOG.warn("{} rejected {}: {} {}", component, source, reason, detail);
        } else {
            LOG.warn("{} rejected {}: {} {} ({} more {} rejections were counted but not logged in the last {} s)",
                    component, source, reason, detail, notLogged, reason, intervalNanos / 1_000_000_000L);
        }
        return true;
    }
}
