package dev.livesae.wire;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.common.serialization.Serializer;

/** Kafka value serializer for {@link CodeBatch}: one Arrow IPC stream per record. Thread-safe. */
public final class CodeBatchSerializer implements Serializer<CodeBatch> {
    private final CodeBatchCodec codec;

    /** For Kafka's {@code value.serializer} config: a child of the process allocator. */
    public CodeBatchSerializer() {
        this(WireAllocator.root());
    }

    public CodeBatchSerializer(BufferAllocator parent) {
        this.codec = new CodeBatchCodec(parent);
    }

    @Override
    public byte[] serialize(String topic, CodeBatch data) {
        return data == null ? null : codec.encode(data);
    }

    @Override
    public void close() {
        codec.close();
    }
}
