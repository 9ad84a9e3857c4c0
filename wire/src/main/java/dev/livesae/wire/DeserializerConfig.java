package dev.livesae.wire;

import java.util.Map;

/** Kafka config keys read by the wire deserializers; values may be strings or numbers. */
public final class DeserializerConfig {
    public static final String MAX_ROWS = "livesae.decode.max.rows";
    public static final String ALLOW_EMPTY = "livesae.decode.allow.empty";
    public static final String EXPECTED_D_IN = "livesae.decode.expected.d.in";

    private DeserializerConfig() {}

    static DecodeLimits limits(Map<String, ?> configs) {
        DecodeLimits d = DecodeLimits.defaults();
        return new DecodeLimits(
                intValue(configs, MAX_ROWS, d.maxRows()),
                configs.get(ALLOW_EMPTY) == null ? d.allowEmpty() : Boolean.parseBoolean(configs.get(ALLOW_EMPTY).toString().trim()),
                intValue(configs, EXPECTED_D_IN, d.expectedDIn()));
    }

    private static int intValue(Map<String, ?> configs, String key, int fallback) {
        Object v = configs.get(key);
        if (v == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(v.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer (got '" + v + "')", e);
        }
    }
}
