package dev.livesae.clients;

import java.util.AbstractMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * An immutable map of a user's Kafka client properties whose {@link #toString()} masks secret values (see
 * {@link KafkaClientConfig#isSecret}), so options records that hold one can be printed or logged safely.
 */
public final class ClientProperties extends AbstractMap<String, String> {
    private final Map<String, String> map;

    private ClientProperties(Map<String, String> map) {
        this.map = map;
    }

    /** An immutable copy of {@code props} (null = empty); null keys or values are refused by Map.copyOf. */
    public static Map<String, String> of(Map<String, String> props) {
        if (props instanceof ClientProperties c) {
            return c;
        }
        return new ClientProperties(Map.copyOf(props == null ? Map.of() : props));
    }

    @Override
    public Set<Entry<String, String>> entrySet() {
        return map.entrySet();
    }

    @Override
    public String get(Object key) {
        return map.get(key);
    }

    @Override
    public boolean containsKey(Object key) {
        return map.containsKey(key);
    }

    @Override
    public String toString() {
        return KafkaClientConfig.masked(new TreeMap<>(map)).toString();
    }
}
