package dev.livesae.monitor;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Density of every feature over the last {@link #WINDOWS} closed windows of each stream's current dictionary version,
 * kept in memory from the window summaries this process closes (so it starts empty at each start; the windows
 * themselves are on {@code telemetry.windows.*}). About 4 bytes x d_sae x {@value #WINDOWS} per stream.
 */
final class FeatureHistory {
    static final int WINDOWS = 24;

    /** The ring of one stream. */
    private static final class Ring {
        final long version;
        final int dSae;
        final float[][] densities = new float[WINDOWS][];
        final long[] windowIndex = new long[WINDOWS];
        int filled;
        int next;

        Ring(long version, int dSae) {
            this.version = version;
            this.dSae = dSae;
        }
    }

    /** The densities of one feature, oldest first, with the windows they belong to. */
    record Series(long[] windowIndex, float[] density) {
    }

    private final Map<StreamKey, Ring> rings = new ConcurrentHashMap<>();

    void onWindow(WindowSummary w) {
        StreamKey key = new StreamKey(w.saeId(), w.hookpoint());
        int[] counts = w.firingCounts();
        rings.compute(key, (k, r) -> {
            Ring ring = r == null || r.version != w.dictionaryVersion() || r.dSae != counts.length
                    ? new Ring(w.dictionaryVersion(), counts.length) : r;
            float[] d = new float[counts.length];
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) counts[i] / w.tokens();
            }
            synchronized (ring) {
                ring.densities[ring.next] = d;
                ring.windowIndex[ring.next] = w.windowIndex();
                ring.next = (ring.next + 1) % WINDOWS;
                ring.filled = Math.min(WINDOWS, ring.filled + 1);
            }
            return ring;
        });
    }

    /** The feature's recent densities in {@code version}, oldest first; empty when none are known. */
    Series series(StreamKey key, long version, int feature) {
        Ring r = rings.get(key);
        if (r == null || r.version != version || feature < 0 || feature >= r.dSae) {
            return new Series(new long[0], new float[0]);
        }
        synchronized (r) {
            long[] idx = new long[r.filled];
            float[] d = new float[r.filled];
            for (int i = 0; i < r.filled; i++) {
                int at = (r.next - r.filled + i + WINDOWS) % WINDOWS;
                idx[i] = r.windowIndex[at];
                d[i] = r.densities[at][feature];
            }
            return new Series(idx, d);
        }
    }
}
