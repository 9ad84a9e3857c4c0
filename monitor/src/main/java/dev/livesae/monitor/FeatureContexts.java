package dev.livesae.monitor;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The examples kept for one feature of one dictionary version: the {@code topExamples} highest activations, and for
 * each of {@link ContextOptions#QUANTILE_BINS} activation-quantile bins a uniform reservoir sample of
 * {@code samplesPerBin} firings (Vitter's algorithm R: the j-th firing of a bin replaces a random slot with
 * probability samplesPerBin / j; j is counted in the feature's {@link ActivationHistogram}). A firing's bin is its quantile among the feature's activations seen before it
 * ({@link ActivationHistogram#quantile}). Value of the contexts store, one per feature; owned by one stream task.
 */
final class FeatureContexts {
    private static final byte FORMAT = 1;
    private static final Comparator<ContextExample> STRONGEST_FIRST =
            Comparator.comparingDouble((ContextExample e) -> -e.activation()).thenComparingLong(ContextExample::sequenceId)
                    .thenComparingInt(ContextExample::position);

    final long version;
    final List<ContextExample> top = new ArrayList<>();
    final List<List<ContextExample>> samples = new ArrayList<>();

    FeatureContexts(long version) {
        this.version = version;
        for (int b = 0; b < ContextOptions.QUANTILE_BINS; b++) {
            samples.add(new ArrayList<>());
        }
    }

    /** The lowest activation that still enters the top list, or 0 while it has room. */
    float topThreshold(int capacity) {
        return top.size() < capacity ? 0f : top.get(top.size() - 1).activation();
    }

    /** Inserts into the top list, keeping it sorted and at most {@code capacity} long. */
    void addTop(ContextExample e, int capacity) {
        int at = 0;
        while (at < top.size() && STRONGEST_FIRST.compare(top.get(at), e) <= 0) {
            at++;
        }
        top.add(at, e);
        if (top.size() > capacity) {
            top.remove(top.size() - 1);
        }
    }

    /** Puts {@code e} in reservoir slot {@code slot} of {@code bin}, appending when the slot is beyond its end. */
    void putSample(int bin, int slot, ContextExample e) {
        List<ContextExample> r = samples.get(bin);
        if (slot >= r.size()) {
            r.add(e);
        } else {
            r.set(slot, e);
        }
    }

    /** Drops examples whose timestamp is before {@code cutoffMs}; true if any was dropped. */
    boolean expire(long cutoffMs) {
        boolean changed = top.removeIf(e -> e.timestampMs() < cutoffMs);
        for (List<ContextExample> r : samples) {
            changed |= r.removeIf(e -> e.timestampMs() < cutoffMs);
        }
        return changed;
    }

    boolean isEmpty() {
        return top.isEmpty() && samples.stream().allMatch(List::isEmpty);
    }

    byte[] toBytes() {
        int size = 1 + 8 + 4;
        for (ContextExample e : top) {
            size += e.serializedBytes();
        }
        for (List<ContextExample> r : samples) {
            size += 4;
            for (ContextExample e : r) {
                size += e.serializedBytes();
            }
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.put(FORMAT).putLong(version);
        writeList(b, top);
        for (List<ContextExample> r : samples) {
            writeList(b, r);
        }
        return b.array();
    }

    static FeatureContexts fromBytes(byte[] bytes) {
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            byte format = b.get();
            if (format != FORMAT) {
                throw new IllegalArgumentException("unknown contexts format " + format);
            }
            FeatureContexts c = new FeatureContexts(b.getLong());
            readList(b, c.top);
            for (List<ContextExample> r : c.samples) {
                readList(b, r);
            }
            return c;
        } catch (java.nio.BufferUnderflowException | NegativeArraySizeException e) {
            throw new IllegalArgumentException("truncated contexts value (" + bytes.length + " bytes)", e);
        }
    }

    private static void writeList(ByteBuffer b, List<ContextExample> list) {
        b.putInt(list.size());
        for (ContextExample e : list) {
            b.putFloat(e.activation()).putLong(e.timestampMs()).putLong(e.sequenceId()).putInt(e.position())
                    .putInt(e.firing()).putInt(e.tokenIds().length);
            for (int t : e.tokenIds()) {
                b.putInt(t);
            }
        }
    }

    private static void readList(ByteBuffer b, List<ContextExample> into) {
        int n = b.getInt();
        if (n < 0 || n > 10_000) {
            throw new IllegalArgumentException("contexts list of " + n + " examples");
        }
        for (int i = 0; i < n; i++) {
            float a = b.getFloat();
            long ts = b.getLong();
            long seq = b.getLong();
            int pos = b.getInt();
            int firing = b.getInt();
            int len = b.getInt();
            if (len < 1 || len > 1000) {
                throw new IllegalArgumentException("context window of " + len + " tokens");
            }
            int[] ids = new int[len];
            for (int j = 0; j < len; j++) {
                ids[j] = b.getInt();
            }
            into.add(new ContextExample(a, ts, seq, pos, firing, ids));
        }
    }
}
