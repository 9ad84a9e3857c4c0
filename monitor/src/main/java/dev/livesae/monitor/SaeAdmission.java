package dev.livesae.monitor;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The SAE streams (an {@code sae_id} at a hookpoint) one monitor instance tracks: at most {@code --max-saes}, the
 * first ones whose valid codes arrive since the instance started. A stream outside the set creates no state, no
 * window and no Prometheus series: its records are dead-lettered {@code TOO_MANY_SAES}. Shared by the instance's
 * stream tasks (thread-safe); the set only grows, so a restart is what resets it.
 */
final class SaeAdmission {
    private final int max;
    private final Set<String> admitted = ConcurrentHashMap.newKeySet();

    SaeAdmission(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("max must be >= 1 (got " + max + ")");
        }
        this.max = max;
    }

    /** Whether the stream is tracked, admitting it if there is room. */
    boolean admit(String storeKey) {
        if (admitted.contains(storeKey)) {
            return true;
        }
        synchronized (this) {
            if (admitted.size() >= max) {
                return false;
            }
            admitted.add(storeKey);
            return true;
        }
    }

    int max() {
        return max;
    }

    int tracked() {
        return admitted.size();
    }
}
