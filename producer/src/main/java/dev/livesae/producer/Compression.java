package dev.livesae.producer;

/** Kafka {@code compression.type} for activation records. */
public enum Compression {
    ZSTD("zstd"), LZ4("lz4"), NONE("none");

    private final String kafkaName;

    Compression(String kafkaName) {
        this.kafkaName = kafkaName;
    }

    public String kafkaName() {
        return kafkaName;
    }

    public static Compression parse(String value) {
        for (Compression c : values()) {
            if (c.kafkaName.equalsIgnoreCase(value)) {
                return c;
            }
        }
        throw new IllegalArgumentException("compression must be zstd, lz4 or none (got " + value + ")");
    }
}
