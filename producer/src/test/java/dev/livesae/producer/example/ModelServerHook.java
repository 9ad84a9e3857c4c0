package dev.livesae.producer.example;

import dev.livesae.producer.ActivationPublisher;
import dev.livesae.producer.OnFull;
import dev.livesae.producer.PublisherOptions;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;

/**
 * What an inference service adds to publish activations: one publisher for the process, one call per
 * forward pass. The only livesae dependency is {@code dev.livesae:livesae-producer}.
 */
public final class ModelServerHook implements AutoCloseable {
    private final ActivationPublisher publisher;

    /**
     * @param bootstrap   the cluster, e.g. "kafka-1:9093"
     * @param kafkaClient your Kafka client properties (security, timeouts, client.id, ...), as in a
     *                    --command-config file; may be empty
     * @param registry    your service's Micrometer registry (publisher meters are bound to it), or null
     */
    public ModelServerHook(String bootstrap, Map<String, String> kafkaClient, MeterRegistry registry) {
        PublisherOptions options = PublisherOptions.defaults(bootstrap, "my-model")
                .withKafka(kafkaClient)
                .withBuffer(64L << 20, OnFull.DROP); // never stall inference: drop and count when Kafka is behind
        this.publisher = new ActivationPublisher(options, registry);
    }

    /**
     * Called after each forward pass with the residual stream at one layer of one request.
     *
     * @param tokenIds    the request's token ids, one per row
     * @param activations row-major [tokens, d]; copied, so the caller may reuse the buffer
     * @return false if rows were dropped because the buffer was full
     */
    public boolean onForward(int[] tokenIds, float[] activations) {
        int rows = tokenIds.length;
        long[] sequence = new long[rows];
        Arrays.fill(sequence, publisher.sequenceIds().next()); // one id per request (text)
        int[] positions = new int[rows];
        Arrays.setAll(positions, i -> i);
        return publisher.publish("blocks.6.hook_resid_post", sequence, positions, tokenIds, activations);
    }

    /** Waits until Kafka acknowledged everything published so far. */
    public boolean flush(Duration timeout) {
        return publisher.flush(timeout);
    }

    @Override
    public void close() {
        publisher.close(); // publishes what is buffered (up to the close timeout)
    }
}
