package dev.livesae.wire;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.common.serialization.Serializer;

/** Kafka value serializer for {@link ActivationBatch}: one Arrow IPC stream per record. Thread-safe. */
public final class ActivationBatchSerializer implements Serializer<ActivationBatch> {
    private final ActivationBatchCodec codec;

    /** For Kafka's {@code value.serializer} config: a child of the process allocator. */
    public ActivationBatchSerializer() {
        this(WireAllocator.root());
    }

    public ActivationBatchSerializer(BufferAllocator parent) {
        this.codec = new ActivationBatchCodec(parent);
    }

    @Override
    public byte[] serialize(String topic, ActivationBatch data) {
        return data == null ? null : codec.encode(data);
    }

    @Override
    public void close() {
        codec.close();
    }
}
