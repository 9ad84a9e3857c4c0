package dev.livesae.wire;

import java.util.Map;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Kafka value deserializer for {@link ActivationBatch}. Every violation of the contract, a null value included,
 * is a {@link WireFormatException} whose reason names the rule.
 *
 * <p>Configs (optional): {@value DeserializerConfig#MAX_ROWS}, {@value DeserializerConfig#ALLOW_EMPTY},
 * {@value DeserializerConfig#EXPECTED_D_IN}.
 */
public final class ActivationBatchDeserializer implements Deserializer<ActivationBatch> {
    private final BufferAllocator parent;
    private volatile ActivationBatchCodec codec;

    public ActivationBatchDeserializer() {
        this(WireAllocator.root(), DecodeLimits.defaults());
    }

    public ActivationBatchDeserializer(BufferAllocator parent, DecodeLimits limits) {
        this.parent = parent;
        this.codec = new ActivationBatchCodec(parent, limits);
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        DecodeLimits limits = DeserializerConfig.limits(configs);
        ActivationBatchCodec old = codec;
        codec = new ActivationBatchCodec(parent, limits);
        old.close();
    }

    @Override
    public ActivationBatch deserialize(String topic, byte[] data) {
        return codec.decode(data);
    }

    @Override
    public void close() {
        codec.close();
    }
}
