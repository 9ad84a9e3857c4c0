package dev.livesae.cli;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.apache.kafka.common.metrics.MetricsContext;
import org.apache.kafka.common.metrics.MetricsReporter;

/**
 * A Kafka metrics reporter that remembers, for every Kafka client that instantiated it, the client kind (the
 * metrics namespace: kafka.producer, kafka.consumer, kafka.admin.client, kafka.streams), its client id and
 * the value of the test property {@value #MARKER}. Kafka builds one per client from {@code metric.reporters}
 * and configures it with the client's own configuration, so this shows what each client really received.
 */
public final class RecordingReporter implements MetricsReporter {
    public static final String MARKER = "livesae.test.marker";

    /** One client as it was configured. */
    public record Seen(String namespace, String clientId, String marker) {
    }

    public static final List<Seen> SEEN = new CopyOnWriteArrayList<>();

    private String clientId;
    private String marker;

    @Override
    public void configure(Map<String, ?> configs) {
        clientId = String.valueOf(configs.get("client.id"));
        marker = String.valueOf(configs.get(MARKER));
    }

    @Override
    public void contextChange(MetricsContext context) {
        SEEN.add(new Seen(String.valueOf(context.contextLabels().get(MetricsContext.NAMESPACE)), clientId, marker));
    }

    @Override
    public void init(List<KafkaMetric> metrics) {
    }

    @Override
    public void metricChange(KafkaMetric metric) {
    }

    @Override
    public void metricRemoval(KafkaMetric metric) {
    }

    @Override
    public void close() {
    }
}
