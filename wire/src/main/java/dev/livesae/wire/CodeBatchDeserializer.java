package dev.livesae.wire;

import org.apache.arrow.memory.BufferAllocator;

/** Kafka value deserializer for {@link CodeBatch} (configs: see {@link DeserializerConfig}). */
public final class CodeBatchDeserializer extends WireDeserializer<CodeBatch> {
    /** For Kafka's {@code value.deserializer} config: a child of the process allocator. */
    public CodeBatchDeserializer() {
        this(WireAllocator.root(), DecodeLimits.defaults());
    }

    public CodeBatchDeserializer(BufferAllocator parent, DecodeLimits limits) {
        super(parent, limits, CodeBatchCodec::new);
    }
}
