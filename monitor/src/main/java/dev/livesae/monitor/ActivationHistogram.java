package dev.livesae.monitor;

import java.nio.ByteBuffer;

/**
 * Activations of one feature in one dictionary version, counted in {@link #BINS} logarithmic bins of half an octave:
 * bin i covers [2^((i - 1)/2 + MIN_LOG2), 2^(i/2 + MIN_LOG2)), the first bin also everything below and the last
 * everything above. Fixed edges make the histogram cheap to update and to merge; the page draws it as is.
 */
final class ActivationHistogram {
    static final int BINS = 24;
    /** Lower edge of bin 1 is 2^MIN_LOG2 = 1/32. */
    static final double MIN_LOG2 = -5;
    private static final byte FORMAT = 1;
    /** Serialized size: format, version, bins, total, sum, max, firings per quantile bin. */
    static final int SIZE = 1 + 8 + 8 * BINS + 8 + 8 + 4 + 8 * ContextOptions.QUANTILE_BINS;

    final long version;
    final long[] counts = new long[BINS];
    long total;
    double sum;
    float max;
    /** Firings counted per activation-quantile bin: the denominators of {@link FeatureContexts}' reservoirs. */
    final long[] seenPerBin = new long[ContextOptions.QUANTILE_BINS];

    ActivationHistogram(long version) {
        this.version = version;
    }

    static int bin(float v) {
        double x = Math.log(v) / Math.log(2) - MIN_LOG2;
        int b = (int) Math.floor(2 * x) + 1;
        return Math.max(0, Math.min(BINS - 1, b));
    }

    /** Lower edge of bin {@code b} (0 for the first). */
    static double lowerEdge(int b) {
        return b == 0 ? 0.0 : Math.pow(2, MIN_LOG2 + (b - 1) / 2.0);
    }

    void add(float v) {
        counts[bin(v)]++;
        total++;
        sum += v;
        max = Math.max(max, v);
    }

    /**
     * The estimated quantile of {@code v} among the activations counted so far: the share below its bin plus half its
     * bin's share; 0.5 before anything was counted.
     */
    double quantile(float v) {
        if (total == 0) {
            return 0.5;
        }
        int b = bin(v);
        long below = 0;
        for (int i = 0; i < b; i++) {
            below += counts[i];
        }
        return (below + 0.5 * counts[b]) / total;
    }

    byte[] toBytes() {
        ByteBuffer b = ByteBuffer.allocate(SIZE);
        b.put(FORMAT).putLong(version);
        for (long c : counts) {
            b.putLong(c);
        }
        b.putLong(total).putDouble(sum).putFloat(max);
        for (long n : seenPerBin) {
            b.putLong(n);
        }
        return b.array();
    }

    static ActivationHistogram fromBytes(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (bytes.length != SIZE || b.get() != FORMAT) {
            throw new IllegalArgumentException("not an activation histogram (" + bytes.length + " bytes)");
        }
        ActivationHistogram h = new ActivationHistogram(b.getLong());
        for (int i = 0; i < BINS; i++) {
            h.counts[i] = b.getLong();
        }
        h.total = b.getLong();
        h.sum = b.getDouble();
        h.max = b.getFloat();
        for (int i = 0; i < h.seenPerBin.length; i++) {
            h.seenPerBin[i] = b.getLong();
        }
        return h;
    }
}
