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
    /** Details are cut to this many characters so a dead letter stays small. */
    static final int MAX_DETAIL = 1000;

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

    /** The value of header {@code key}, or null. */
    public static String header(Headers headers, String key) {
        var h = headers.lastHeader(key);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static void put(Headers h, String key, String value) {
        h.add(key, value.getBytes(StandardCharsets.UTF_8));
    }
}
