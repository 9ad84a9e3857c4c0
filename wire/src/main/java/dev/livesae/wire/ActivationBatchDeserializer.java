package dev.livesae.wire;

import org.apache.arrow.memory.BufferAllocator;

/** Kafka value deserializer for {@link ActivationBatch} (configs: see {@link DeserializerConfig}). */
public final class ActivationBatchDeserializer extends WireDeserializer<ActivationBatch> {
    /** For Kafka's {@code value.deserializer} config: a child of the process allocator. */
    public ActivationBatchDeserializer() {
        this(WireAllocator.root(), DecodeLimits.defaults());
    }

    public ActivationBatchDeserializer(BufferAllocator parent, DecodeLimits limits) {
        super(parent, limits, ActivationBatchCodec::new);
    }
}
