package dev.livesae.trainer;

import java.util.Map;

import dev.livesae.engine.Sae;

/**
 * A promoted dictionary: an immutable SAE snapshot and the version stamped on every code it makes. Version 0
 * is the initialised SAE before any training step (or, in encode-only mode, the frozen SAE). {@code metadata}
 * goes into the exported cfg.json's {@code metadata} (l0, num_dead_features, training_architecture, provenance,
 * core metrics).
 */
public record Dictionary(String saeId, long version, Sae sae, Map<String, Object> metadata) {

    public Dictionary(String saeId, long version, Sae sae) {
        this(saeId, version, sae, Map.of());
    }

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
        metadata = metadata == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(metadata));
    }
}
