package dev.livesae.wire;

import java.util.Map;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** Serializer and deserializer of {@link CodeBatch} as one Kafka {@link Serde}. */
public final class CodeBatchSerde implements Serde<CodeBatch> {
    private final CodeBatchSerializer serializer;
    private final CodeBatchDeserializer deserializer;

    public CodeBatchSerde() {
        this(WireAllocator.root(), DecodeLimits.defaults());
    }

    public CodeBatchSerde(BufferAllocator parent, DecodeLimits limits) {
        this.serializer = new CodeBatchSerializer(parent);
        this.deserializer = new CodeBatchDeserializer(parent, limits);
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        deserializer.configure(configs, isKey);
    }

    @Override
    public Serializer<CodeBatch> serializer() {
        return serializer;
    }

    @Override
    public Deserializer<CodeBatch> deserializer() {
        return deserializer;
    }

    @Override
    public void close() {
        serializer.close();
        deserializer.close();
    }
}
