package dev.livesae.wire;

import java.util.Map;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** Serializer and deserializer of {@link ActivationBatch} as one Kafka {@link Serde}. */
public final class ActivationBatchSerde implements Serde<ActivationBatch> {
    private final ActivationBatchSerializer serializer;
    private final ActivationBatchDeserializer deserializer;

    public ActivationBatchSerde() {
        this(WireAllocator.root(), DecodeLimits.defaults());
    }

    public ActivationBatchSerde(BufferAllocator parent, DecodeLimits limits) {
        this.serializer = new ActivationBatchSerializer(parent);
        this.deserializer = new ActivationBatchDeserializer(parent, limits);
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        deserializer.configure(configs, isKey);
    }

    @Override
    public Serializer<ActivationBatch> serializer() {
        return serializer;
    }

    @Override
    public Deserializer<ActivationBatch> deserializer() {
        return deserializer;
    }

    @Override
    public void close() {
        serializer.close();
        deserializer.close();
    }
}
