package dev.livesae.wire;

import org.apache.arrow.memory.BufferAllocator;

/** Kafka value serializer for {@link ActivationBatch}: one Arrow IPC stream per record. Thread-safe. */
public final class ActivationBatchSerializer extends WireSerializer<ActivationBatch> {
    /** For Kafka's {@code value.serializer} config: a child of the process allocator. */
    public ActivationBatchSerializer() {
        this(WireAllocator.root());
    }

    public ActivationBatchSerializer(BufferAllocator parent) {
        super(new ActivationBatchCodec(parent));
    }
}
