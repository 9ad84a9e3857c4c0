package dev.livesae.monitor;

/**
 * Keys of the contexts store {@value MonitorTopology#CONTEXT_STORE}: {@code <stream key>␞<latent>␞x} (a
 * {@link FeatureContexts}) and {@code <stream key>␞<latent>␞h} (an {@link ActivationHistogram}), ␞ being U+001E.
 */
final class ContextKeys {
    static final char SEPARATOR = '\u001e';
    static final char EXAMPLES = 'x';
    static final char HISTOGRAM = 'h';

    private ContextKeys() {
    }

    /** A parsed key. */
    record Key(String streamKey, int latent, char kind) {
    }

    static String examples(String streamKey, int latent) {
        return streamKey + SEPARATOR + latent + SEPARATOR + EXAMPLES;
    }

    static String histogram(String streamKey, int latent) {
        return streamKey + SEPARATOR + latent + SEPARATOR + HISTOGRAM;
    }

    /** Prefix of every key of one stream, for a prefix scan. */
    static String prefix(String streamKey) {
        return streamKey + SEPARATOR;
    }

    static Key parse(String key) {
        int last = key.lastIndexOf(SEPARATOR);
        int mid = last > 0 ? key.lastIndexOf(SEPARATOR, last - 1) : -1;
        if (mid < 0 || last != key.length() - 2) {
            throw new IllegalArgumentException("not a contexts key: " + key);
        }
        return new Key(key.substring(0, mid), Integer.parseInt(key.substring(mid + 1, last)), key.charAt(last + 1));
    }
}
