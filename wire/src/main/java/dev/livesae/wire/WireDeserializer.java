package dev.livesae.wire;

import java.util.Map;
import java.util.function.BiFunction;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * A Kafka deserializer over one of the wire codecs. Every violation of the contract, a null value included,
 * is a {@link WireFormatException} whose reason names the rule.
 *
 * <p>Configs (optional): {@value DeserializerConfig#MAX_ROWS}, {@value DeserializerConfig#ALLOW_EMPTY}, the caps of
 * {@link DecodeLimits} ({@value DeserializerConfig#MAX_RECORD_BYTES}, ...),
 * {@value DeserializerConfig#EXPECTED_D_IN}.
 */
abstract class WireDeserializer<T> implements Deserializer<T> {
    private final BufferAllocator parent;
    private final BiFunction<BufferAllocator, DecodeLimits, ArrowCodec<T>> codecs;
    private volatile ArrowCodec<T> codec;

    WireDeserializer(BufferAllocator parent, DecodeLimits limits, BiFunction<BufferAllocator, DecodeLimits, ArrowCodec<T>> codecs) {
        this.parent = parent;
        this.codecs = codecs;
        this.codec = codecs.apply(parent, limits);
    }

    @Override
    public final void configure(Map<String, ?> configs, boolean isKey) {
        ArrowCodec<T> old = codec;
        codec = codecs.apply(parent, DeserializerConfig.limits(configs));
        old.close();
    }

    @Override
    public final T deserialize(String topic, byte[] data) {
        return codec.decode(data);
    }

    @Override
    public final void close() {
        codec.close();
    }
}
