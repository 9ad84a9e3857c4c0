package dev.livesae.wire;

import java.nio.charset.StandardCharsets;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/** The headers of a dead letter: why it was rejected, by whom, and where it came from. */
public final class DeadLetters {
    public static final String REASON = "livesae.reject.reason";
    public static final String DETAIL = "livesae.reject.detail";
    public static final String COMPONENT = "livesae.reject.component";
    public static final String SOURCE_TOPIC = "livesae.source.topic";
    public static final String SOURCE_PARTITION = "livesae.source.partition";
    public static final String SOURCE_OFFSET = "livesae.source.offset";
    /** Present when the rejected record's value or key was too large to copy: what was left out, and its size. */
    public static final String OMITTED = "livesae.reject.omitted";
    /** Details are cut to this many characters so a dead letter stays small. */
    static final int MAX_DETAIL = 1000;
    /**
     * Largest key plus value a dead letter copies: under the 64 MiB {@code max.message.bytes} of the dead-letter
     * topics and {@code max.request.size} of the services' producers, with room for headers. A larger record
     * could not be sent, and a dead letter that cannot be sent would stop its service on the same record forever.
     */
    public static final int MAX_COPY_BYTES = 60 << 20;
    /** Largest key a dead letter copies. */
    public static final int MAX_KEY_BYTES = 1 << 20;

    private DeadLetters() {}

    public static Headers headers(String sourceTopic, int partition, long offset, RejectReason reason, String detail,
                                  String component) {
        Headers h = new RecordHeaders();
        put(h, REASON, reason.name());
        put(h, DETAIL, detail == null ? "" : detail.length() > MAX_DETAIL ? detail.substring(0, MAX_DETAIL) : detail);
        put(h, COMPONENT, component);
        put(h, SOURCE_TOPIC, sourceTopic);
        put(h, SOURCE_PARTITION, Integer.toString(partition));
        put(h, SOURCE_OFFSET, Long.toString(offset));
        return h;
    }

    /**
     * A dead letter of a rejected record: its key and value unchanged, unless they are too large to send (a key
     * over {@link #MAX_KEY_BYTES}, key and value over {@link #MAX_COPY_BYTES}); what is left out is null, named in
     * the {@link #OMITTED} header with its size, and still in the source topic at the source offset.
     */
    public record Copy(byte[] key, byte[] value, Headers headers) {}

    public static Copy copy(String sourceTopic, int partition, long offset, byte[] key, byte[] value,
                            RejectReason reason, String detail, String component) {
        Headers h = headers(sourceTopic, partition, offset, reason, detail, component);
        StringBuilder omitted = new StringBuilder();
        if (key != null && key.length > MAX_KEY_BYTES) {
            omitted.append("key=").append(key.length).append(" bytes");
            key = null;
        }
        long size = (key == null ? 0L : key.length) + (value == null ? 0L : value.length);
        if (value != null && size > MAX_COPY_BYTES) {
            omitted.append(omitted.length() > 0 ? ", " : "").append("value=").append(value.length).append(" bytes");
            value = null;
        }
        if (omitted.length() > 0) {
            put(h, OMITTED, omitted.toString());
        }
        return new Copy(key, value, h);
    }

    /** The value of header {@code key}, or null. */
    public static String header(Headers headers, String key) {
        var h = headers.lastHeader(key);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static void put(Headers h, String key, String value) {
        h.add(key, value.getBytes(StandardCharsets.UTF_8));
    }
}
