package dev.livesae.wire;

import org.apache.kafka.common.serialization.Serializer;

/** A Kafka value serializer over one of the wire codecs: one Arrow IPC stream per record. Thread-safe. */
abstract class WireSerializer<T> implements Serializer<T> {
    private final ArrowCodec<T> codec;

    WireSerializer(ArrowCodec<T> codec) {
        this.codec = codec;
    }

    @Override
    public final byte[] serialize(String topic, T data) {
        return data == null ? null : codec.encode(data);
    }

    @Override
    public final void close() {
        codec.close();
    }
}
