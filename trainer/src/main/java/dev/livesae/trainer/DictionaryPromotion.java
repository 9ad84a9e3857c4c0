package dev.livesae.trainer;

import dev.livesae.engine.SaeTrainer;

/**
 * The promoted dictionary that encodes codes, and when the next one is due: every {@code --promote-every}
 * trained tokens the trainer's weights are snapshotted as version + 1 (0 = never promote).
 */
final class DictionaryPromotion {
    private final long every;
    private Dictionary current;
    private long tokensAtPromotion;

    DictionaryPromotion(long every) {
        this.every = every;
    }

    /** Sets the current dictionary (a new trainer's version 0, a restored or a frozen one). */
    void set(Dictionary dictionary, long tokensAtPromotion) {
        this.current = dictionary;
        this.tokensAtPromotion = tokensAtPromotion;
    }

    /** Snapshots {@code trainer} as the next version when due; true if it did. */
    boolean promoteIfDue(SaeTrainer trainer) {
        long trainedNow = trainer.tokensSeen();
        if (every <= 0 || trainedNow - tokensAtPromotion < every) {
            return false;
        }
        current = new Dictionary(current.saeId(), current.version() + 1, trainer.snapshot());
        tokensAtPromotion = trainedNow;
        return true;
    }

    /** Replaces the current dictionary's export metadata (same version, same weights). */
    void annotate(java.util.Map<String, Object> metadata) {
        current = new Dictionary(current.saeId(), current.version(), current.sae(), metadata);
    }

    /** The current dictionary, or null before the first batch of a new trainer. */
    Dictionary current() { return current; }
    long version() { return current == null ? 0 : current.version(); }
    long tokensAtPromotion() { return tokensAtPromotion; }
}
