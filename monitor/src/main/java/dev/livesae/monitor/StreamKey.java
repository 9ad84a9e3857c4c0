package dev.livesae.monitor;

/**
 * One monitored code stream: the codes of one SAE at one hookpoint. Windows, baselines and meters are kept per
 * stream key (and per dictionary version inside it).
 */
public record StreamKey(String saeId, String hookpoint) {
    private static final char SEPARATOR = '\u001f';

    public StreamKey {
        if (saeId == null || saeId.isBlank()) {
            throw new IllegalArgumentException("saeId must be non-blank (got " + saeId + ")");
        }
        if (hookpoint == null || hookpoint.isBlank()) {
            throw new IllegalArgumentException("hookpoint must be non-blank (got " + hookpoint + ")");
        }
        if (saeId.indexOf(SEPARATOR) >= 0 || hookpoint.indexOf(SEPARATOR) >= 0) {
            throw new IllegalArgumentException("saeId and hookpoint must not contain U+001F (got " + saeId + ", " + hookpoint + ")");
        }
    }

    /** The key of this stream in the monitor's state store. */
    public String storeKey() {
        return saeId + SEPARATOR + hookpoint;
    }

    public static StreamKey fromStoreKey(String storeKey) {
        int at = storeKey.indexOf(SEPARATOR);
        if (at < 0) {
            throw new IllegalArgumentException("storeKey has no separator: " + storeKey);
        }
        return new StreamKey(storeKey.substring(0, at), storeKey.substring(at + 1));
    }

    @Override
    public String toString() {
        return saeId + "@" + hookpoint;
    }
}
