package dev.livesae.monitor;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/** A value the topology writes, with the topic it goes to (windows, drift or dead-letter topic). */
record Outbound(String topic, byte[] value) {

    static Serde<Outbound> serde() {
        Serializer<Outbound> ser = (topic, o) -> o == null ? null : o.value();
        Deserializer<Outbound> de = (topic, bytes) -> new Outbound(topic, bytes);
        return Serdes.serdeFrom(ser, de);
    }
}
