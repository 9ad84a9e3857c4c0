package dev.livesae.producer;

import dev.livesae.clients.ClientProperties;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Options of an {@link ActivationPublisher}, validated on construction; each message names the field
 * (the flag of {@code sae produce} with the same meaning is in brackets in the docs).
 *
 * @param bootstrapServers Kafka bootstrap servers (HOST:PORT[,HOST:PORT...])
 * @param model            model name for topic names and batch metadata
 * @param batchRows        a batch is sealed when it holds this many rows
 * @param batchBytes       ... or when the next row would take its activation bytes past this (keep it
 *                         below the broker's message.max.bytes, 1 MiB by default)
 * @param linger           ... or when its oldest row has waited this long
 * @param compression      Kafka compression.type
 * @param maxBufferedBytes bound on bytes accepted but not yet acknowledged by Kafka
 * @param onFull           BLOCK or DROP when that bound is reached
 * @param createTopics     create missing activation topics with {@code topicPartitions} partitions
 * @param topicPartitions  partitions of created topics
 * @param producerId       16-bit producer id for sequence ids and the record key; -1 = random
 * @param keyByProducer    record key = UTF-8 producer instance id (keeps one producer's rows in one
 *                         partition, in order); false = null key (sticky partitioning)
 * @param closeTimeout     how long {@code close()} waits for outstanding batches
 * @param kafka            extra Kafka producer properties, applied last
 */
public record PublisherOptions(String bootstrapServers, String model, int batchRows, int batchBytes, Duration linger,
                               Compression compression, long maxBufferedBytes, OnFull onFull, boolean createTopics,
                               int topicPartitions, int producerId, boolean keyByProducer, Duration closeTimeout,
                               Map<String, String> kafka) {

    public static final int DEFAULT_BATCH_ROWS = 512;
    public static final int DEFAULT_BATCH_BYTES = 900_000;
    public static final Duration DEFAULT_LINGER = Duration.ofMillis(50);
    public static final long DEFAULT_MAX_BUFFERED_BYTES = 64L << 20;
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(60);

    public PublisherOptions {
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("bootstrapServers must be HOST:PORT (got " + bootstrapServers + ")");
        }
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("model must be non-blank (got " + model + ")");
        }
        range("batchRows", batchRows, 1, 1_000_000);
        range("batchBytes", batchBytes, 1024, 64 << 20);
        Objects.requireNonNull(linger, "linger");
        if (linger.isNegative() || linger.compareTo(Duration.ofMinutes(10)) > 0) {
            throw new IllegalArgumentException("linger must be in [0 ms, 10 min] (got " + linger.toMillis() + " ms)");
        }
        Objects.requireNonNull(compression, "compression");
        if (maxBufferedBytes < 1024 || maxBufferedBytes > (64L << 30)) {
            throw new IllegalArgumentException("maxBufferedBytes must be in [1024, 64 GiB] (got " + maxBufferedBytes + ")");
        }
        Objects.requireNonNull(onFull, "onFull");
        range("topicPartitions", topicPartitions, 1, 10_000);
        range("producerId", producerId, -1, 0xFFFF);
        Objects.requireNonNull(closeTimeout, "closeTimeout");
        if (closeTimeout.isNegative()) {
            throw new IllegalArgumentException("closeTimeout must be >= 0 (got " + closeTimeout + ")");
        }
        kafka = ClientProperties.of(Objects.requireNonNull(kafka, "kafka")); // toString masks secrets
    }

    /** Defaults: 512 rows / 900 kB / 50 ms batches, zstd, 64 MiB buffer, BLOCK, topics created with 1 partition. */
    public static PublisherOptions defaults(String bootstrapServers, String model) {
        return new PublisherOptions(bootstrapServers, model, DEFAULT_BATCH_ROWS, DEFAULT_BATCH_BYTES, DEFAULT_LINGER,
                Compression.ZSTD, DEFAULT_MAX_BUFFERED_BYTES, OnFull.BLOCK, true, 1, -1, true, DEFAULT_CLOSE_TIMEOUT, Map.of());
    }

    public PublisherOptions withBatching(int rows, int bytes, Duration lingerTime) {
        return new PublisherOptions(bootstrapServers, model, rows, bytes, lingerTime, compression, maxBufferedBytes, onFull,
                createTopics, topicPartitions, producerId, keyByProducer, closeTimeout, kafka);
    }

    public PublisherOptions withCompression(Compression c) {
        return new PublisherOptions(bootstrapServers, model, batchRows, batchBytes, linger, c, maxBufferedBytes, onFull,
                createTopics, topicPartitions, producerId, keyByProducer, closeTimeout, kafka);
    }

    public PublisherOptions withBuffer(long maxBytes, OnFull whenFull) {
        return new PublisherOptions(bootstrapServers, model, batchRows, batchBytes, linger, compression, maxBytes, whenFull,
                createTopics, topicPartitions, producerId, keyByProducer, closeTimeout, kafka);
    }

    public PublisherOptions withTopics(boolean create, int partitions) {
        return new PublisherOptions(bootstrapServers, model, batchRows, batchBytes, linger, compression, maxBufferedBytes, onFull,
                create, partitions, producerId, keyByProducer, closeTimeout, kafka);
    }

    public PublisherOptions withProducerId(int id, boolean keyed) {
        return new PublisherOptions(bootstrapServers, model, batchRows, batchBytes, linger, compression, maxBufferedBytes, onFull,
                createTopics, topicPartitions, id, keyed, closeTimeout, kafka);
    }

    public PublisherOptions withCloseTimeout(Duration timeout) {
        return new PublisherOptions(bootstrapServers, model, batchRows, batchBytes, linger, compression, maxBufferedBytes, onFull,
                createTopics, topicPartitions, producerId, keyByProducer, timeout, kafka);
    }

    public PublisherOptions withKafka(Map<String, String> props) {
        return new PublisherOptions(bootstrapServers, model, batchRows, batchBytes, linger, compression, maxBufferedBytes, onFull,
                createTopics, topicPartitions, producerId, keyByProducer, closeTimeout, props);
    }

    private static void range(String field, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(field + " must be in [" + min + ", " + max + "] (got " + value + ")");
        }
    }
}
