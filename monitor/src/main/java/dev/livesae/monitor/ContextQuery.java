package dev.livesae.monitor;

import java.util.Map;

/** Read access to the contexts store {@value MonitorTopology#CONTEXT_STORE} (Kafka Streams interactive queries). */
interface ContextQuery {
    /** No contexts: {@code --contexts off}, or routes tested without a topology. */
    ContextQuery NONE = new ContextQuery() {
        @Override
        public boolean enabled() {
            return false;
        }

        @Override
        public byte[] get(String key) {
            return null;
        }

        @Override
        public Map<String, byte[]> scan(String prefix) {
            return Map.of();
        }
    };

    boolean enabled();

    /** The value stored under {@code key}, or null. */
    byte[] get(String key);

    /** Every entry whose key starts with {@code prefix}. */
    Map<String, byte[]> scan(String prefix);
}
