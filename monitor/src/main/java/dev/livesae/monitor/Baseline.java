package dev.livesae.monitor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * A pinned drift baseline: firing counts per latent over {@code tokens} tokens of one dictionary version.
 * JSON, read from a file ({@code --baseline-file}) or from the compacted topic {@code telemetry.baselines}
 * keyed {@code <saeId>/<dictionaryVersion>}. Unknown fields are ignored, so a window summary from
 * {@code telemetry.windows.*} is itself a valid baseline document.
 *
 * @param hookpoint optional; when present it must match the stream's hookpoint
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Baseline(String saeId, String hookpoint, long dictionaryVersion, long tokens, int[] firingCounts) {
    public Baseline {
        if (saeId == null || saeId.isBlank()) {
            throw new IllegalArgumentException("baseline saeId must be non-blank (got " + saeId + ")");
        }
        if (dictionaryVersion < 0) {
            throw new IllegalArgumentException("baseline dictionaryVersion must be >= 0 (got " + dictionaryVersion + ")");
        }
        if (tokens < 1) {
            throw new IllegalArgumentException("baseline tokens must be >= 1 (got " + tokens + ")");
        }
        if (firingCounts == null || firingCounts.length == 0) {
            throw new IllegalArgumentException("baseline firingCounts must be non-empty (got "
                    + (firingCounts == null ? "null" : "[]") + ")");
        }
        for (int i = 0; i < firingCounts.length; i++) {
            if (firingCounts[i] < 0) {
                throw new IllegalArgumentException("baseline firingCounts[" + i + "] must be >= 0 (got " + firingCounts[i] + ")");
            }
        }
    }

    /** The key of this baseline on {@code telemetry.baselines}. */
    public String topicKey() {
        return topicKey(saeId, dictionaryVersion);
    }

    public static String topicKey(String saeId, long dictionaryVersion) {
        return saeId + "/" + dictionaryVersion;
    }

    /** Whether this baseline may be compared with codes of this stream, version and width. */
    public boolean matches(StreamKey key, long version, int dSae) {
        return saeId.equals(key.saeId()) && dictionaryVersion == version && firingCounts.length == dSae
                && (hookpoint == null || hookpoint.equals(key.hookpoint()));
    }

    public static Baseline fromJson(byte[] json) {
        try {
            return Json.MAPPER.readValue(json, Baseline.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a baseline document: " + e.getMessage(), e);
        }
    }

    public static Baseline read(Path file) {
        try {
            return fromJson(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read baseline file " + file, e);
        }
    }

    public byte[] toJson() {
        return Json.bytes(this);
    }
}
