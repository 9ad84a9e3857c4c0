package dev.livesae.trainer;

import dev.livesae.engine.Sae;

/**
 * A promoted dictionary: an immutable SAE snapshot and the version stamped on every code it makes. Version 0
 * is the initialised SAE before any training step (or, in encode-only mode, the frozen SAE).
 */
public record Dictionary(String saeId, long version, Sae sae) {
    public Dictionary {
        if (saeId == null || saeId.isBlank()) {
            throw new IllegalArgumentException("saeId must not be blank (got '" + saeId + "')");
        }
        if (version < 0) {
            throw new IllegalArgumentException("version must be >= 0 (got " + version + ")");
        }
        if (sae == null) {
            throw new IllegalArgumentException("sae must not be null");
        }
    }
}
