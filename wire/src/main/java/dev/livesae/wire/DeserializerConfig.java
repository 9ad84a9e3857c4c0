package dev.livesae.wire;

import java.util.Map;

/** Kafka config keys read by the wire deserializers; values may be strings or numbers ({@link DecodeLimits}). */
public final class DeserializerConfig {
    public static final String MAX_ROWS = "livesae.decode.max.rows";
    public static final String ALLOW_EMPTY = "livesae.decode.allow.empty";
    public static final String EXPECTED_D_IN = "livesae.decode.expected.d.in";
    public static final String MAX_RECORD_BYTES = "livesae.decode.max.record.bytes";
    public static final String MAX_D_IN = "livesae.decode.max.d.in";
    public static final String MAX_D_SAE = "livesae.decode.max.d.sae";
    public static final String MAX_K = "livesae.decode.max.k";

    private DeserializerConfig() {}

    static DecodeLimits limits(Map<String, ?> configs) {
        DecodeLimits d = DecodeLimits.defaults();
        return new DecodeLimits(
                (int) number(configs, MAX_ROWS, d.maxRows()),
                configs.get(ALLOW_EMPTY) == null ? d.allowEmpty() : Boolean.parseBoolean(configs.get(ALLOW_EMPTY).toString().trim()),
                (int) number(configs, EXPECTED_D_IN, d.expectedDIn()),
                number(configs, MAX_RECORD_BYTES, d.maxRecordBytes()),
                (int) number(configs, MAX_D_IN, d.maxDIn()),
                (int) number(configs, MAX_D_SAE, d.maxDSae()),
                (int) number(configs, MAX_K, d.maxK()));
    }

    private static long number(Map<String, ?> configs, String key, long fallback) {
        Object v = configs.get(key);
        if (v == null) {
            return fallback;
        }
        long n;
        try {
            n = Long.parseLong(v.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer (got '" + v + "')", e);
        }
        if (!key.equals(MAX_RECORD_BYTES) && (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE)) {
            throw new IllegalArgumentException(key + " must fit in 32 bits (got " + n + ")");
        }
        return n;
    }
}
