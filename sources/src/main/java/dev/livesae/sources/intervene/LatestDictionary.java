package dev.livesae.sources.intervene;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The newest promoted dictionary of a trainer's checkpoint directory ({@code --checkpoint-dir}: {@code LATEST}
 * names the newest checkpoint, whose {@code dictionary/} is the promoted SAE), re-read when {@code LATEST}
 * changes, looked at most once per {@code interval}. A directory that cannot be read keeps the previous
 * dictionary (logged); {@link #get} returns null until one was loaded. Thread-safe.
 */
public final class LatestDictionary implements Supplier<SaeDictionary> {
    private static final Logger LOG = LoggerFactory.getLogger(LatestDictionary.class);

    private final Path root;
    private final long intervalNanos;
    private long checkedAt;
    private boolean checked;
    private String latestName;
    private SaeDictionary dictionary;

    public LatestDictionary(Path checkpointRoot, Duration interval) {
        if (interval.isNegative()) {
            throw new IllegalArgumentException("interval must be >= 0 (got " + interval + ")");
        }
        this.root = checkpointRoot;
        this.intervalNanos = interval.toNanos();
    }

    @Override
    public synchronized SaeDictionary get() {
        long now = System.nanoTime();
        if (checked && now - checkedAt < intervalNanos) {
            return dictionary;
        }
        checked = true;
        checkedAt = now;
        try {
            Path latest = root.resolve("LATEST");
            if (!Files.isRegularFile(latest)) {
                return dictionary;
            }
            String name = Files.readString(latest).trim();
            if (!name.equals(latestName)) {
                dictionary = SaeDictionary.load(root);
                latestName = name;
                LOG.info("loaded dictionary of checkpoint {} from {}", name, root);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot load the latest dictionary from {}: {}", root, e.getMessage());
        }
        return dictionary;
    }
}
