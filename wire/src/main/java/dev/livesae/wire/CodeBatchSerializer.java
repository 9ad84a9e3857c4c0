package dev.livesae.wire;

import org.apache.arrow.memory.BufferAllocator;

/** Kafka value serializer for {@link CodeBatch}: one Arrow IPC stream per record. Thread-safe. */
public final class CodeBatchSerializer extends WireSerializer<CodeBatch> {
    /** For Kafka's {@code value.serializer} config: a child of the process allocator. */
    public CodeBatchSerializer() {
        this(WireAllocator.root());
    }

    public CodeBatchSerializer(BufferAllocator parent) {
        super(new CodeBatchCodec(parent));
    }
}
