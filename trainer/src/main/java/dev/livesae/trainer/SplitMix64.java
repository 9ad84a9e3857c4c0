package dev.livesae.trainer;

/**
 * SplitMix64 (Steele, Lea, Flood 2014): a 64-bit generator whose whole state is one {@code long}, so the
 * shuffle order can be written into a checkpoint and resumed exactly. Not thread-safe.
 */
public final class SplitMix64 {
    private long state;

    public SplitMix64(long state) {
        this.state = state;
    }

    /** The state to persist; {@code new SplitMix64(state())} continues the same sequence. */
    public long state() {
        return state;
    }

    public long nextLong() {
        long z = (state += 0x9E3779B97F4A7C15L);
        return mix(z);
    }

    /** Uniform in [0, bound) by rejection (no modulo bias). */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be > 0 (got " + bound + ")");
        }
        long limit = Long.remainderUnsigned(-1L, bound); // values in the top partial range are rejected
        while (true) {
            long r = nextLong();
            if (Long.compareUnsigned(r, -1L - limit) <= 0) {
                return (int) Long.remainderUnsigned(r, bound);
            }
        }
    }

    /** The SplitMix64 finaliser: a bijective 64-bit mix. */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
