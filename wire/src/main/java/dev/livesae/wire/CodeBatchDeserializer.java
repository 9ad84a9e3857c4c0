package dev.livesae.wire;

import java.util.Map;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Kafka value deserializer for {@link CodeBatch}. Every violation of the contract, a null value included,
 * is a {@link WireFormatException} whose reason names the rule.
 *
 * <p>Configs (optional): {@value DeserializerConfig#MAX_ROWS}, {@value DeserializerConfig#ALLOW_EMPTY},
 * {@value DeserializerConfig#EXPECTED_D_IN}.
 */
public final class CodeBatchDeserializer implements Deserializer<CodeBatch> {
    private final BufferAllocator parent;
    private volatile CodeBatchCodec codec;

    public CodeBatchDeserializer() {
        this(WireAllocator.root(), DecodeLimits.defaults());
    }

    public CodeBatchDeserializer(BufferAllocator parent, DecodeLimits limits) {
        this.parent = parent;
        this.codec = new CodeBatchCodec(parent, limits);
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        DecodeLimits limits = DeserializerConfig.limits(configs);
        CodeBatchCodec old = codec;
        codec = new CodeBatchCodec(parent, limits);
        old.close();
    }

    @Override
    public CodeBatch deserialize(String topic, byte[] data) {
        return codec.decode(data);
    }

    @Override
    public void close() {
        codec.close();
    }
}
