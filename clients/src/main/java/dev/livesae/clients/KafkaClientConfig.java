package dev.livesae.clients;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Where every Kafka client of livesae gets its configuration: the bootstrap address plus the user's client
 * properties (security, timeouts, {@code client.rack}, ...), the convention of Kafka's own
 * {@code --command-config}. One instance serves every client a process creates: producers, consumers,
 * admin clients and Kafka Streams (whose internal clients inherit the same properties).
 *
 * <p>A client's final configuration is built in three layers, lowest first:
 * <ol>
 *   <li>livesae's tunable defaults for that client (batch sizes, linger, timeouts): the user may change them;</li>
 *   <li>the user's properties;</li>
 *   <li>the properties livesae must own for correctness (serializers, idempotence, isolation level,
 *       transactional ids, processing guarantee): a user value that differs is refused with a message
 *       naming the property, never silently overridden.</li>
 * </ol>
 * {@code client.id} is special: a user value becomes the prefix of every client id ({@code <user>-<ours>}),
 * so brokers, quotas and ACLs see the user's name on every client while ids stay distinct.
 *
 * <p>Values are never logged: {@link #toString()} and {@link #describe()} mask every property whose name
 * looks like a password, secret, key, token or JAAS configuration.
 */
public final class KafkaClientConfig {
    public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
    public static final String CLIENT_ID = "client.id";

    private static final Pattern SECRET = Pattern.compile(".*(password|secret|jaas|token|credential|\\.key$|user\\.info).*");
    private static final String MASK = "[hidden]";

    private final String bootstrap;
    private final Map<String, String> user;

    private KafkaClientConfig(String bootstrap, Map<String, String> user) {
        this.bootstrap = bootstrap;
        this.user = user;
    }

    /**
     * @param bootstrap HOST:PORT[,HOST:PORT...]; null or blank to take {@code bootstrap.servers} from
     *                  {@code properties}
     * @param properties the user's client properties (may hold {@code bootstrap.servers})
     * @throws IllegalArgumentException naming {@code --bootstrap} when no address is given either way, or a
     *                                  property with a blank name
     */
    public static KafkaClientConfig of(String bootstrap, Map<String, String> properties) {
        Map<String, String> props = new TreeMap<>();
        for (Map.Entry<String, String> e : Objects.requireNonNull(properties, "properties").entrySet()) {
            String key = e.getKey() == null ? "" : e.getKey().trim();
            if (key.isEmpty()) {
                throw new IllegalArgumentException("Kafka client property with a blank name (value " + mask(key, e.getValue()) + ")");
            }
            props.put(key, Objects.requireNonNull(e.getValue(), () -> "Kafka client property " + key + " has no value").trim());
        }
        String fromProps = props.remove(BOOTSTRAP_SERVERS);
        String servers = bootstrap != null && !bootstrap.isBlank() ? bootstrap.trim() : fromProps;
        if (servers == null || servers.isBlank()) {
            throw new IllegalArgumentException("--bootstrap: no Kafka bootstrap servers given (use --bootstrap HOST:PORT "
                    + "or bootstrap.servers in --kafka-config)");
        }
        for (String hostPort : servers.split(",")) {
            checkHostPort(hostPort.trim());
        }
        return new KafkaClientConfig(servers, Map.copyOf(props));
    }

    /** Only a bootstrap address, no further properties. */
    public static KafkaClientConfig of(String bootstrap) {
        return of(bootstrap, Map.of());
    }

    /**
     * Reads the user's properties: a properties file (may be null) and then {@code KEY=VALUE} pairs, which
     * win over the file. Errors name the flag ({@code --kafka-config}, {@code --kafka-property}).
     */
    public static KafkaClientConfig load(String bootstrap, Path configFile, Collection<String> keyValues) {
        Map<String, String> props = new LinkedHashMap<>();
        if (configFile != null) {
            Properties file = new Properties();
            try (Reader r = Files.newBufferedReader(configFile)) {
                file.load(r);
            } catch (IOException e) {
                throw new IllegalArgumentException("--kafka-config: cannot read " + configFile + " (" + e.getMessage() + ")", e);
            }
            file.stringPropertyNames().forEach(k -> props.put(k, file.getProperty(k)));
        }
        if (keyValues != null) {
            for (String kv : keyValues) {
                int eq = kv == null ? -1 : kv.indexOf('=');
                if (eq <= 0) {
                    String shown = kv == null ? "null" : kv.contains("=") ? kv.substring(0, kv.indexOf('=')) + "=..." : kv;
                    throw new IllegalArgumentException("--kafka-property must be KEY=VALUE (got '" + shown + "')");
                }
                props.put(kv.substring(0, eq).trim(), kv.substring(eq + 1));
            }
        }
        return of(bootstrap, props);
    }

    public String bootstrap() {
        return bootstrap;
    }

    /** The user's properties (without {@code bootstrap.servers}); values unmasked: never log them. */
    public Map<String, String> userProperties() {
        return user;
    }

    /**
     * One client's configuration: {@code defaults} < the user's properties < {@code owned}, with
     * {@code bootstrap.servers} and the client id ({@code clientId}, prefixed by a user {@code client.id}).
     *
     * @param role    what the client is for, used in error messages (e.g. "trainer codes producer")
     * @param owned   properties this client needs for correctness; a differing user value is refused
     * @throws IllegalArgumentException naming the property the user may not set for this client
     */
    public Map<String, Object> client(String role, String clientId, Map<String, ?> defaults, Map<String, ?> owned) {
        Map<String, Object> out = new LinkedHashMap<>(defaults);
        for (Map.Entry<String, ?> e : owned.entrySet()) {
            String mine = String.valueOf(e.getValue());
            String theirs = user.get(e.getKey());
            if (theirs != null && !theirs.equalsIgnoreCase(mine)) {
                throw new IllegalArgumentException("Kafka client property " + e.getKey() + "=" + mask(e.getKey(), theirs)
                        + " is not allowed: livesae's " + role + " needs " + e.getKey() + "=" + mask(e.getKey(), mine));
            }
        }
        user.forEach((k, v) -> {
            if (!k.equals(CLIENT_ID)) {
                out.put(k, v);
            }
        });
        out.putAll(owned);
        out.put(BOOTSTRAP_SERVERS, bootstrap);
        if (clientId != null) {
            String prefix = user.get(CLIENT_ID);
            out.put(CLIENT_ID, prefix == null || prefix.isBlank() ? clientId : prefix + "-" + clientId);
        }
        return out;
    }

    /** An admin client's configuration (nothing owned). */
    public Map<String, Object> admin(String clientId) {
        return client("admin client", clientId, Map.of(), Map.of());
    }

    /** The properties as they may be logged: names with masked secret values, bootstrap first. */
    public String describe() {
        StringBuilder sb = new StringBuilder(BOOTSTRAP_SERVERS).append('=').append(bootstrap);
        user.forEach((k, v) -> sb.append(", ").append(k).append('=').append(mask(k, v)));
        return sb.toString();
    }

    @Override
    public String toString() {
        return "KafkaClientConfig{" + describe() + "}";
    }

    /** True for property names whose values must never be shown. */
    public static boolean isSecret(String key) {
        return key != null && SECRET.matcher(key.toLowerCase(Locale.ROOT)).matches();
    }

    /** {@code value}, or a mask if {@code key} names a secret. */
    public static String mask(String key, Object value) {
        return isSecret(key) ? MASK : String.valueOf(value);
    }

    /** A copy of a finished client configuration with secret values masked, for log lines. */
    public static Map<String, Object> masked(Map<String, ?> config) {
        Map<String, Object> out = new TreeMap<>();
        config.forEach((k, v) -> out.put(k, mask(k, v)));
        return out;
    }

    private static void checkHostPort(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        boolean ok = colon > 0 && colon < hostPort.length() - 1;
        if (ok) {
            try {
                int port = Integer.parseInt(hostPort.substring(colon + 1));
                ok = port > 0 && port <= 65535;
            } catch (NumberFormatException e) {
                ok = false;
            }
        }
        if (!ok) {
            throw new IllegalArgumentException("--bootstrap must be HOST:PORT[,HOST:PORT...] with a port in [1, 65535] (got '"
                    + hostPort + "')");
        }
    }
}
