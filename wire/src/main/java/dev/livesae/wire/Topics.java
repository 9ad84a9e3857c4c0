package dev.livesae.wire;

import java.util.regex.Pattern;

/**
 * Topic names, declared once. Every process derives its topics from these functions so a producer,
 * trainer and monitor started with the same model and hookpoint always meet.
 *
 * <p>Rule: {@code <kind>.<model>.<hookpoint>} with every character outside {@code [A-Za-z0-9._-]}
 * replaced by {@code _}; dead letters for a source topic T go to {@code dlq.T}.
 */
public final class Topics {
    /** Compacted topic holding pinned drift baselines, keyed by {@code <saeId>/<dictionaryVersion>}. */
    public static final String BASELINES = "telemetry.baselines";

    private static final Pattern ILLEGAL = Pattern.compile("[^A-Za-z0-9._-]");
    private static final int MAX_LENGTH = 249;

    private Topics() {}

    public static String activations(String model, String hookpoint) {
        return join("activations", model, hookpoint);
    }

    public static String codes(String model, String hookpoint) {
        return join("codes", model, hookpoint);
    }

    public static String windows(String model, String hookpoint) {
        return join("telemetry.windows", model, hookpoint);
    }

    public static String drift(String model, String hookpoint) {
        return join("telemetry.drift", model, hookpoint);
    }

    /**
     * Compacted topic holding a model's tokenizer vocabulary ({@link Vocabulary}), keyed by the model name, so a
     * reader can turn the token ids of code batches into text without loading the model.
     */
    public static String vocab(String model) {
        requireText("model", model);
        return check("vocab." + sanitize(model));
    }

    public static String deadLetter(String sourceTopic) {
        requireText("sourceTopic", sourceTopic);
        return check("dlq." + sourceTopic);
    }

    /** Replaces characters Kafka does not allow in topic names with {@code _}. */
    public static String sanitize(String part) {
        return ILLEGAL.matcher(part).replaceAll("_");
    }

    private static String join(String kind, String model, String hookpoint) {
        requireText("model", model);
        requireText("hookpoint", hookpoint);
        return check(kind + "." + sanitize(model) + "." + sanitize(hookpoint));
    }

    private static String check(String topic) {
        if (topic.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("topic name longer than " + MAX_LENGTH + " characters: " + topic);
        }
        return topic;
    }

    private static void requireText(String field, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(field + " must be non-blank (got " + (value == null ? "null" : "'" + value + "'") + ")");
        }
    }
}
