package dev.livesae.sources.model;

import java.util.Objects;

/**
 * Token ids of several sequences right-padded to one length {@code T}: {@code inputIds[b][t]} and
 * {@code attentionMask[b][t]} (1 = real token, 0 = padding). {@code lengths[b]} real tokens come first.
 */
public record TokenBatch(long[][] inputIds, long[][] attentionMask, int[] lengths) {
    public TokenBatch {
        Objects.requireNonNull(inputIds, "inputIds");
        Objects.requireNonNull(attentionMask, "attentionMask");
        Objects.requireNonNull(lengths, "lengths");
        if (inputIds.length == 0) {
            throw new IllegalArgumentException("TokenBatch must hold at least one sequence");
        }
        if (attentionMask.length != inputIds.length || lengths.length != inputIds.length) {
            throw new IllegalArgumentException("TokenBatch: inputIds, attentionMask and lengths must have the same number of sequences (got "
                    + inputIds.length + ", " + attentionMask.length + ", " + lengths.length + ")");
        }
        int t = inputIds[0].length;
        for (int b = 0; b < inputIds.length; b++) {
            if (inputIds[b].length != t || attentionMask[b].length != t) {
                throw new IllegalArgumentException("TokenBatch: sequence " + b + " is not padded to length " + t);
            }
            if (lengths[b] < 1 || lengths[b] > t) {
                throw new IllegalArgumentException("TokenBatch: lengths[" + b + "] must be in [1, " + t + "] (got " + lengths[b] + ")");
            }
        }
    }

    public int sequences() {
        return inputIds.length;
    }

    /** Padded length T. */
    public int paddedLength() {
        return inputIds[0].length;
    }

    /** Real (unpadded) tokens over all sequences. */
    public int tokens() {
        int n = 0;
        for (int len : lengths) {
            n += len;
        }
        return n;
    }
}
