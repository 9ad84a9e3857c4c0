package dev.livesae.trainer;

/**
 * An order-independent fingerprint of a multiset of tokens {@code (sequenceId, position)}: the count and two
 * sums (mod 2^64) of independent 64-bit hashes of each pair. Two ledgers are equal iff (with overwhelming
 * probability) they hold the same tokens the same number of times, so "every produced token trained exactly
 * once" is checkable as {@code trained.equals(produced)} whatever the training order was.
 */
public record TokenLedger(long count, long sumA, long sumB) {
    public static final TokenLedger EMPTY = new TokenLedger(0, 0, 0);

    public TokenLedger {
        if (count < 0) {
            throw new IllegalArgumentException("count must be >= 0 (got " + count + ")");
        }
    }

    public TokenLedger plus(long sequenceId, int position) {
        return new TokenLedger(count + 1, sumA + hashA(sequenceId, position), sumB + hashB(sequenceId, position));
    }

    public TokenLedger plus(TokenLedger other) {
        return new TokenLedger(count + other.count, sumA + other.sumA, sumB + other.sumB);
    }

    static long hashA(long sequenceId, int position) {
        return SplitMix64.mix(sequenceId * 0x9E3779B97F4A7C15L + position);
    }

    static long hashB(long sequenceId, int position) {
        return SplitMix64.mix(Long.rotateLeft(sequenceId, 29) ^ (position * 0xC2B2AE3D27D4EB4FL) ^ 0x5851F42D4C957F2DL);
    }

    /** A mutable accumulator for the hot path (one per thread). */
    public static final class Builder {
        private long count;
        private long sumA;
        private long sumB;

        public Builder() {
        }

        public Builder(TokenLedger start) {
            count = start.count;
            sumA = start.sumA;
            sumB = start.sumB;
        }

        public void add(long sequenceId, int position) {
            count++;
            sumA += hashA(sequenceId, position);
            sumB += hashB(sequenceId, position);
        }

        public long count() {
            return count;
        }

        public TokenLedger build() {
            return new TokenLedger(count, sumA, sumB);
        }
    }
}
