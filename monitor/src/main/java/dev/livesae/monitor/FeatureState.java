package dev.livesae.monitor;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import dev.livesae.wire.CodeBatch;
import dev.livesae.wire.CodeMeta;

/**
 * The monitor's state for one stream key and dictionary version, the value of the state store
 * {@value MonitorTopology#STATE_STORE}: the open window, the baseline, the last closed window and each latent's
 * last firing. Tokens are numbered 0, 1, ... from the first token of the version. Owned by one stream task.
 */
final class FeatureState {
    private static final byte FORMAT = 2;

    final StreamKey key;
    final String model;
    final long version;
    final int dSae;
    final int k;
    /** Window size W: the open window closes when it holds exactly this many tokens. */
    final int capacity;

    long tokensSeen;
    long windowIndex;
    int windowTokens;
    int[] windowCounts;
    double[] windowSums;
    final long[] l0Histogram;
    final float[] reconRatios;
    int reconTokens;
    double reconErrorSum;
    double centeredNormSum;

    BaselineSource baselineSource = BaselineSource.FIRST_TOKENS;
    long baselineTarget;
    long baselineTokens;
    int[] baselineCounts;

    long lastWindowIndex = -1;
    int lastTokens;
    int[] lastCounts;
    double[] lastSums;

    /** Token index of each latent's last firing, -1 if it never fired in this version. */
    final long[] lastFired;

    /** The open window's firings per {@link DriftDecision#BLOCKS} block, block-major, and tokens per block. */
    final int[] blockCounts;
    final int[] blockTokens = new int[DriftDecision.BLOCKS];
    int block;
    /** Sequence id of the last token added, to start blocks only where a sequence starts. */
    long lastSequence = Long.MIN_VALUE;

    /** Rolling baseline: the last {@code rollingWindows} closed windows' counts (0 = not rolling). */
    int rollingWindows;
    int[] ring = new int[0];
    int ringFilled;
    int ringNext;

    /** Closed windows in a row whose drift decision rejected stationarity. */
    int consecutiveDrifted;

    private FeatureState(StreamKey key, String model, long version, int dSae, int k, int capacity) {
        this.key = key;
        this.model = model;
        this.version = version;
        this.dSae = dSae;
        this.k = k;
        this.capacity = capacity;
        windowCounts = new int[dSae];
        windowSums = new double[dSae];
        l0Histogram = new long[k + 1];
        reconRatios = new float[capacity];
        baselineCounts = new int[dSae];
        lastCounts = new int[dSae];
        lastSums = new double[dSae];
        lastFired = new long[dSae];
        blockCounts = new int[DriftDecision.BLOCKS * dSae];
    }

    /** A state whose baseline is the version's first {@code baselineTokens} tokens. */
    static FeatureState start(StreamKey key, CodeMeta meta, int windowTokens, long baselineTokens) {
        return start(key, meta, windowTokens, baselineTokens, 0);
    }

    /**
     * @param baselineWindows 0: the first {@code baselineTokens} tokens are the baseline; otherwise the previous
     *                        {@code baselineWindows} closed windows (rolling)
     */
    static FeatureState start(StreamKey key, CodeMeta meta, int windowTokens, long baselineTokens, int baselineWindows) {
        FeatureState s = new FeatureState(key, meta.model(), meta.dictionaryVersion(), meta.dSae(), meta.k(), windowTokens);
        s.baselineTarget = baselineTokens;
        if (baselineWindows > 0) {
            s.baselineSource = BaselineSource.ROLLING;
            s.rollingWindows = baselineWindows;
            s.ring = new int[baselineWindows * s.dSae];
            s.baselineTarget = (long) baselineWindows * windowTokens;
        }
        Arrays.fill(s.lastFired, -1L);
        return s;
    }

    /** Whether codes of this batch belong to this state (same version and shape); otherwise the stream rebases. */
    boolean accepts(CodeMeta meta) {
        return meta.dictionaryVersion() == version && meta.dSae() == dSae && meta.k() == k;
    }

    boolean baselineFilling() {
        return baselineSource == BaselineSource.FIRST_TOKENS && baselineTokens < baselineTarget;
    }

    boolean baselineReady() {
        return baselineSource == BaselineSource.ROLLING ? ringFilled == rollingWindows : !baselineFilling();
    }

    /**
     * Whether the open window can be tested against the baseline: the baseline is complete and shares no token
     * with the window (a first-tokens baseline overlaps the first windows of its version).
     */
    boolean windowDisjointFromBaseline() {
        return baselineReady() && (baselineSource != BaselineSource.FIRST_TOKENS || tokensSeen - windowTokens >= baselineTokens);
    }

    /** Rows that can be added before the open window or the filling baseline reaches its size. */
    int room(int rowsLeft) {
        long room = Math.min(rowsLeft, capacity - windowTokens);
        if (baselineFilling()) {
            room = Math.min(room, baselineTarget - baselineTokens);
        }
        return (int) room;
    }

    boolean windowFull() {
        return windowTokens == capacity;
    }

    /** Adds rows {@code [from, to)} of a batch; the caller keeps {@code to - from <= room(...)}. */
    void add(CodeBatch batch, int from, int to) {
        int[] indices = batch.latentIndices();
        float[] values = batch.latentValues();
        float[] err = batch.reconError();
        float[] norm = batch.centeredSqNorm();
        long[] sequences = batch.sequenceIds();
        boolean baseline = baselineFilling();
        int[] counts = windowCounts;
        double[] sums = windowSums;
        long token = tokensSeen;
        int position = windowTokens;
        for (int r = from; r < to; r++, token++, position++) {
            block = DriftDecision.nextBlock(block, position, capacity, sequences[r] != lastSequence);
            lastSequence = sequences[r];
            blockTokens[block]++;
            int blockOffset = block * dSae;
            int l0 = 0;
            int base = r * k;
            for (int j = base; j < base + k; j++) {
                float v = values[j];
                if (v > 0f) {
                    int i = indices[j];
                    counts[i]++;
                    blockCounts[blockOffset + i]++;
                    sums[i] += v;
                    lastFired[i] = token;
                    l0++;
                    if (baseline) {
                        baselineCounts[i]++;
                    }
                }
            }
            l0Histogram[l0]++;
            if (norm[r] > 0f) {
                reconRatios[reconTokens++] = err[r] / norm[r];
                reconErrorSum += err[r];
                centeredNormSum += norm[r];
            }
        }
        int n = to - from;
        tokensSeen += n;
        windowTokens += n;
        if (baseline) {
            baselineTokens += n;
        }
    }

    void pin(Baseline pinned, BaselineSource source) {
        baselineSource = source;
        baselineTokens = pinned.tokens();
        baselineTarget = pinned.tokens();
        baselineCounts = pinned.firingCounts().clone();
    }

    /**
     * Makes the open window the last closed one and opens an empty window; a rolling baseline takes the closed
     * window in and drops its oldest.
     *
     * @return whether a rolling baseline became complete with this window
     */
    boolean roll() {
        boolean completed = false;
        if (baselineSource == BaselineSource.ROLLING) {
            int off = ringNext * dSae;
            for (int i = 0; i < dSae; i++) {
                baselineCounts[i] += windowCounts[i] - ring[off + i];
                ring[off + i] = windowCounts[i];
            }
            ringNext = (ringNext + 1) % rollingWindows;
            if (ringFilled < rollingWindows) {
                ringFilled++;
                baselineTokens += windowTokens;
                completed = ringFilled == rollingWindows;
            }
        }
        int[] c = lastCounts;
        double[] s = lastSums;
        lastCounts = windowCounts;
        lastSums = windowSums;
        lastTokens = windowTokens;
        lastWindowIndex = windowIndex;
        Arrays.fill(c, 0);
        Arrays.fill(s, 0.0);
        windowCounts = c;
        windowSums = s;
        windowTokens = 0;
        windowIndex++;
        Arrays.fill(l0Histogram, 0L);
        reconTokens = 0;
        reconErrorSum = 0;
        centeredNormSum = 0;
        Arrays.fill(blockCounts, 0);
        Arrays.fill(blockTokens, 0);
        block = 0;
        return completed;
    }

    byte[] toBytes() {
        byte[] sae = key.saeId().getBytes(StandardCharsets.UTF_8);
        byte[] hook = key.hookpoint().getBytes(StandardCharsets.UTF_8);
        byte[] mod = model.getBytes(StandardCharsets.UTF_8);
        long size = 1 + 12L + sae.length + hook.length + mod.length + 8 + 4 * 3 + 8 * 2 + 4
                + 4L * dSae + 8L * dSae + 8L * (k + 1) + 4 + 4L * reconTokens + 16
                + 1 + 16 + 4L * dSae + 8 + 4 + 4L * dSae + 8L * dSae + 8L * dSae
                + 4L * blockCounts.length + 4L * blockTokens.length + 4 + 8 + 4 * 4 + 4L * ring.length;
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalStateException("state of " + key + " too large to store: " + size + " bytes");
        }
        ByteBuffer b = ByteBuffer.allocate((int) size);
        b.put(FORMAT);
        b.putInt(sae.length).put(sae).putInt(hook.length).put(hook).putInt(mod.length).put(mod);
        b.putLong(version).putInt(dSae).putInt(k).putInt(capacity);
        b.putLong(tokensSeen).putLong(windowIndex).putInt(windowTokens);
        putInts(b, windowCounts, windowCounts.length);
        putDoubles(b, windowSums);
        putLongs(b, l0Histogram);
        b.putInt(reconTokens);
        b.asFloatBuffer().put(reconRatios, 0, reconTokens);
        b.position(b.position() + 4 * reconTokens);
        b.putDouble(reconErrorSum).putDouble(centeredNormSum);
        b.put((byte) baselineSource.ordinal()).putLong(baselineTarget).putLong(baselineTokens);
        putInts(b, baselineCounts, baselineCounts.length);
        b.putLong(lastWindowIndex).putInt(lastTokens);
        putInts(b, lastCounts, lastCounts.length);
        putDoubles(b, lastSums);
        putLongs(b, lastFired);
        putInts(b, blockCounts, blockCounts.length);
        putInts(b, blockTokens, blockTokens.length);
        b.putInt(block).putLong(lastSequence);
        b.putInt(rollingWindows).putInt(ringFilled).putInt(ringNext).putInt(consecutiveDrifted);
        putInts(b, ring, ring.length);
        if (b.hasRemaining()) {
            throw new IllegalStateException("state size miscomputed: " + b.remaining() + " bytes left");
        }
        return b.array();
    }

    // bulk copies through buffer views (same big-endian layout as putInt/putDouble/putLong one by one): the
    // monitor stores its state after every record, so this runs once per code record
    private static void putInts(ByteBuffer b, int[] v, int n) {
        b.asIntBuffer().put(v, 0, n);
        b.position(b.position() + 4 * n);
    }

    private static void putDoubles(ByteBuffer b, double[] v) {
        b.asDoubleBuffer().put(v);
        b.position(b.position() + 8 * v.length);
    }

    private static void putLongs(ByteBuffer b, long[] v) {
        b.asLongBuffer().put(v);
        b.position(b.position() + 8 * v.length);
    }

    static FeatureState fromBytes(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        byte format = b.get();
        if (format != FORMAT) {
            throw new IllegalArgumentException("unsupported monitor state format " + format);
        }
        StreamKey key = new StreamKey(string(b), string(b));
        String model = string(b);
        FeatureState s = new FeatureState(key, model, b.getLong(), b.getInt(), b.getInt(), b.getInt());
        s.tokensSeen = b.getLong();
        s.windowIndex = b.getLong();
        s.windowTokens = b.getInt();
        for (int i = 0; i < s.dSae; i++) {
            s.windowCounts[i] = b.getInt();
        }
        for (int i = 0; i < s.dSae; i++) {
            s.windowSums[i] = b.getDouble();
        }
        for (int i = 0; i <= s.k; i++) {
            s.l0Histogram[i] = b.getLong();
        }
        s.reconTokens = b.getInt();
        for (int i = 0; i < s.reconTokens; i++) {
            s.reconRatios[i] = b.getFloat();
        }
        s.reconErrorSum = b.getDouble();
        s.centeredNormSum = b.getDouble();
        s.baselineSource = BaselineSource.values()[b.get()];
        s.baselineTarget = b.getLong();
        s.baselineTokens = b.getLong();
        for (int i = 0; i < s.dSae; i++) {
            s.baselineCounts[i] = b.getInt();
        }
        s.lastWindowIndex = b.getLong();
        s.lastTokens = b.getInt();
        for (int i = 0; i < s.dSae; i++) {
            s.lastCounts[i] = b.getInt();
        }
        for (int i = 0; i < s.dSae; i++) {
            s.lastSums[i] = b.getDouble();
        }
        for (int i = 0; i < s.dSae; i++) {
            s.lastFired[i] = b.getLong();
        }
        for (int i = 0; i < s.blockCounts.length; i++) {
            s.blockCounts[i] = b.getInt();
        }
        for (int i = 0; i < s.blockTokens.length; i++) {
            s.blockTokens[i] = b.getInt();
        }
        s.block = b.getInt();
        s.lastSequence = b.getLong();
        s.rollingWindows = b.getInt();
        s.ringFilled = b.getInt();
        s.ringNext = b.getInt();
        s.consecutiveDrifted = b.getInt();
        s.ring = new int[s.rollingWindows * s.dSae];
        for (int i = 0; i < s.ring.length; i++) {
            s.ring[i] = b.getInt();
        }
        return s;
    }

    private static String string(ByteBuffer b) {
        byte[] a = new byte[b.getInt()];
        b.get(a);
        return new String(a, StandardCharsets.UTF_8);
    }
}
