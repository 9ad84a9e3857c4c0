package dev.livesae.service;

import dev.livesae.clients.ClusterCheck;
import dev.livesae.clients.KafkaClientConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a long-running service can reach its Kafka cluster, asked every {@code interval} with a cheap
 * {@code describeCluster} over the service's own client configuration (so TLS, SASL and ACL problems count
 * too). Exported as the gauge {@code livesae.kafka.connected} (1 reachable, 0 not; tag {@code component}).
 * While the cluster is away the service's own clients keep retrying; this says so in one WARN line per interval
 * naming the bootstrap address, what failed and for how long, and one INFO line when it is back.
 */
public final class KafkaConnectivity implements AutoCloseable {
    public static final String METER = "livesae.kafka.connected";
    /** How often a command's services check by default. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);
    private static final Logger LOG = LoggerFactory.getLogger(KafkaConnectivity.class);

    private final KafkaClientConfig kafka;
    private final String component;
    private final Duration timeout;
    private final ScheduledExecutorService timer;
    private final Admin admin;
    private volatile boolean connected = true;
    private volatile String lastProblem = "";
    private volatile long downSinceNanos;

    private KafkaConnectivity(KafkaClientConfig kafka, String component, Duration interval) {
        this.kafka = kafka;
        this.component = component;
        this.timeout = interval.compareTo(Duration.ofSeconds(5)) < 0 ? interval : Duration.ofSeconds(5);
        int ms = (int) Math.max(100, timeout.toMillis());
        this.admin = Admin.create(kafka.client("connectivity check", "livesae-" + component + "-connectivity", Map.of(
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, ms,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, ms,
                AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000), Map.of()));
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "livesae-" + component + "-kafka-check");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Registers the gauge and starts checking every {@code interval} (the first check right away).
     *
     * @param component the service, the gauge's {@code component} tag (e.g. "trainer", "monitor")
     */
    public static KafkaConnectivity start(KafkaClientConfig kafka, String component, MeterRegistry registry, Duration interval) {
        if (kafka == null || registry == null) {
            throw new IllegalArgumentException("kafka and registry must not be null");
        }
        if (component == null || !component.matches("[a-z][a-z0-9_-]{0,31}")) {
            throw new IllegalArgumentException("component must be a short lowercase name (got '" + component + "')");
        }
        if (interval == null || interval.toMillis() < 100) {
            throw new IllegalArgumentException("interval must be >= 100 ms (got " + interval + ")");
        }
        KafkaConnectivity c = new KafkaConnectivity(kafka, component, interval);
        Gauge.builder(METER, c, k -> k.connected ? 1 : 0)
                .description("1 while this service's Kafka clients can reach the cluster (a describeCluster answered within "
                        + "the check timeout), else 0")
                .tag("component", component)
                .register(registry);
        c.timer.scheduleWithFixedDelay(c::check, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        return c;
    }

    /** True while the last check got an answer. */
    public boolean connected() {
        return connected;
    }

    public String bootstrap() {
        return kafka.bootstrap();
    }

    /** "" while connected, else e.g. " | Kafka at HOST:PORT UNREACHABLE for 42 s: no broker answered ...". */
    public String statusSuffix() {
        if (connected) {
            return "";
        }
        long secs = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - downSinceNanos);
        return " | " + lastProblem + " (UNREACHABLE for " + secs + " s; retrying)";
    }

    private void check() {
        long started = System.nanoTime();
        String problem = null;
        try {
            admin.describeCluster().nodes().get(timeout.toMillis() + 500, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (ExecutionException e) {
            problem = ClusterCheck.explain(kafka, e.getCause(), timeout).getMessage();
        } catch (TimeoutException | KafkaException e) {
            problem = ClusterCheck.explain(kafka, e, timeout).getMessage();
        } catch (RuntimeException e) {
            problem = "Kafka at " + kafka.bootstrap() + ": " + e;
        }
        if (problem == null) {
            if (!connected) {
                LOG.info("{}: Kafka at {} reachable again after {} s", component, kafka.bootstrap(),
                        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - downSinceNanos));
            }
            connected = true;
            return;
        }
        if (connected) {
            downSinceNanos = started;
        }
        lastProblem = problem;
        connected = false;
        LOG.warn("{}: {} (unreachable for {} s; its clients keep retrying)", component, problem,
                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - downSinceNanos));
    }

    @Override
    public void close() {
        timer.shutdownNow();
        admin.close(Duration.ofSeconds(2));
    }
}
