package dev.livesae.monitor;

import java.util.Arrays;

/**
 * One place a feature fired: the activation, the window of token ids around the firing token (same sequence only)
 * and which of them fired.
 *
 * @param activation  the latent's value on the firing token, > 0
 * @param timestampMs the code record's timestamp (for --context-retention)
 * @param sequenceId  the sequence the token belongs to
 * @param position    the firing token's position in its sequence
 * @param firing      index of the firing token inside {@code tokenIds}
 * @param tokenIds    vocabulary ids of the window, in order
 */
record ContextExample(float activation, long timestampMs, long sequenceId, int position, int firing, int[] tokenIds) {
    ContextExample {
        if (!(activation > 0) || Float.isInfinite(activation)) {
            throw new IllegalArgumentException("activation must be finite and > 0 (got " + activation + ")");
        }
        if (tokenIds == null || firing < 0 || firing >= tokenIds.length) {
            throw new IllegalArgumentException("firing must index tokenIds (got " + firing + " of "
                    + (tokenIds == null ? "null" : tokenIds.length) + ")");
        }
    }

    int serializedBytes() {
        return 4 + 8 + 8 + 4 + 4 + 4 + 4 * tokenIds.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ContextExample e && e.activation == activation && e.timestampMs == timestampMs
                && e.sequenceId == sequenceId && e.position == position && e.firing == firing
                && Arrays.equals(e.tokenIds, tokenIds);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(sequenceId) * 31 + position;
    }
}
