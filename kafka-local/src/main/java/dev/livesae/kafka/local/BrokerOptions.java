package dev.livesae.kafka.local;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * How to start an {@link EmbeddedKafkaBroker}.
 *
 * @param port           PLAINTEXT client port, 0 = pick a free one
 * @param controllerPort KRaft CONTROLLER listener port, 0 = pick a free one
 * @param dataDir        directory for Kafka's log dirs; null = a temporary directory removed on close
 * @param overrides      extra broker properties (e.g. {@code num.partitions}); the listener, role,
 *                       storage and security keys are owned by the broker and rejected here
 * @param saslSsl        an authenticated, authorizing SASL_SSL listener besides PLAINTEXT; null = none
 */
public record BrokerOptions(int port, int controllerPort, Path dataDir, Map<String, String> overrides,
                            SaslSslListener saslSsl) {

    /** Keys that define the single-node topology; overriding them would break the broker's own bookkeeping. */
    static final Set<String> RESERVED_KEYS = Set.of(
            "process.roles", "node.id", "listeners", "advertised.listeners", "controller.listener.names",
            "controller.quorum.voters", "controller.quorum.bootstrap.servers", "inter.broker.listener.name",
            "listener.security.protocol.map", "log.dirs", "log.dir", "metadata.log.dir",
            "authorizer.class.name", "super.users", "sasl.enabled.mechanisms");

    public BrokerOptions {
        checkPort("port", port);
        checkPort("controllerPort", controllerPort);
        if (port != 0 && port == controllerPort) {
            throw new IllegalArgumentException("controllerPort must differ from port (both " + port + ")");
        }
        if (overrides == null) {
            throw new IllegalArgumentException("overrides must not be null (use Map.of())");
        }
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            if (e.getKey() == null || e.getKey().isBlank()) {
                throw new IllegalArgumentException("overrides key must not be blank (got '" + e.getKey() + "')");
            }
            if (e.getValue() == null) {
                throw new IllegalArgumentException("overrides value for " + e.getKey() + " must not be null");
            }
            if (RESERVED_KEYS.contains(e.getKey())) {
                throw new IllegalArgumentException("overrides key " + e.getKey()
                        + " is set by the embedded broker and cannot be overridden");
            }
        }
        overrides = Map.copyOf(overrides);
        if (saslSsl != null) {
            if (saslSsl.port() != 0 && (saslSsl.port() == port || saslSsl.port() == controllerPort)) {
                throw new IllegalArgumentException("saslSsl.port must differ from port and controllerPort (got " + saslSsl.port() + ")");
            }
        }
    }

    /** Without a SASL_SSL listener. */
    public BrokerOptions(int port, int controllerPort, Path dataDir, Map<String, String> overrides) {
        this(port, controllerPort, dataDir, overrides, null);
    }

    /** Ephemeral ports, temporary data directory, no overrides. */
    public static BrokerOptions defaults() {
        return new BrokerOptions(0, 0, null, Map.of());
    }

    public BrokerOptions withPort(int newPort) {
        return new BrokerOptions(newPort, controllerPort, dataDir, overrides, saslSsl);
    }

    public BrokerOptions withControllerPort(int newControllerPort) {
        return new BrokerOptions(port, newControllerPort, dataDir, overrides, saslSsl);
    }

    public BrokerOptions withDataDir(Path newDataDir) {
        return new BrokerOptions(port, controllerPort, newDataDir, overrides, saslSsl);
    }

    /** A copy with one more broker property; a later value for the same key wins. */
    public BrokerOptions withOverride(String key, String value) {
        Map<String, String> merged = new HashMap<>(overrides);
        merged.put(key, value);
        return new BrokerOptions(port, controllerPort, dataDir, merged, saslSsl);
    }

    /** A copy with a SASL_SSL listener (null removes it). */
    public BrokerOptions withSaslSsl(SaslSslListener listener) {
        return new BrokerOptions(port, controllerPort, dataDir, overrides, listener);
    }

    private static void checkPort(String field, int value) {
        if (value < 0 || value > 65535) {
            throw new IllegalArgumentException(field + " must be in 0..65535 (got " + value + ")");
        }
    }
}
