package dev.livesae.wire;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * The process's one {@link RootAllocator}, for code that Kafka instantiates by class name (serdes).
 * Components take named child allocators from it and close them; the root lives as long as the process.
 */
public final class WireAllocator {
    private WireAllocator() {}

    private static final class Holder {
        static final RootAllocator ROOT = new RootAllocator(Long.MAX_VALUE);
    }

    public static BufferAllocator root() {
        return Holder.ROOT;
    }
}
