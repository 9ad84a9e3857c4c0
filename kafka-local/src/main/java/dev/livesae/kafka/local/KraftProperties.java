package dev.livesae.kafka.local;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The broker properties of a single combined broker+controller KRaft node on 127.0.0.1.
 * Every replication factor and min ISR is 1 because there is only one node to hold a replica.
 */
final class KraftProperties {

    static final int NODE_ID = 1;
    static final String CLIENT_LISTENER = "PLAINTEXT";
    static final String CONTROLLER_LISTENER = "CONTROLLER";
    static final String HOST = "127.0.0.1";

    private KraftProperties() {
    }

    /** Kafka's defaults changed only where one node or a small shared machine needs it; overrides applied last. */
    static Map<String, String> build(int port, int controllerPort, Path logDir, Map<String, String> overrides) {
        return build(port, controllerPort, logDir, overrides, null);
    }

    /** A secured second client listener: where it listens, its TLS stores, and who ACLs never deny. */
    record Secure(int port, TlsMaterial tls, java.util.Set<String> superUsers) {
    }

    static Map<String, String> build(int port, int controllerPort, Path logDir, Map<String, String> overrides, Secure secure) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
        p.put("listeners", CLIENT_LISTENER + "://" + HOST + ":" + port + "," + CONTROLLER_LISTENER + "://" + HOST + ":" + controllerPort);
        p.put("advertised.listeners", CLIENT_LISTENER + "://" + HOST + ":" + port);
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("inter.broker.listener.name", CLIENT_LISTENER);
        p.put("listener.security.protocol.map", CLIENT_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        p.put("log.dirs", logDir.toString());
        if (secure != null) {
            String l = SaslSslListener.LISTENER;
            String prefix = "listener.name." + l.toLowerCase(java.util.Locale.ROOT) + ".";
            p.put("listeners", p.get("listeners") + "," + l + "://" + HOST + ":" + secure.port());
            p.put("advertised.listeners", p.get("advertised.listeners") + "," + l + "://" + HOST + ":" + secure.port());
            p.put("listener.security.protocol.map", p.get("listener.security.protocol.map") + "," + l + ":" + l);
            p.put("sasl.enabled.mechanisms", SaslSslListener.MECHANISM);
            p.put(prefix + "sasl.enabled.mechanisms", SaslSslListener.MECHANISM);
            p.put(prefix + SaslSslListener.MECHANISM.toLowerCase(java.util.Locale.ROOT) + ".sasl.jaas.config",
                    "org.apache.kafka.common.security.scram.ScramLoginModule required;");
            p.put(prefix + "ssl.keystore.type", TlsMaterial.STORE_TYPE);
            p.put(prefix + "ssl.keystore.location", secure.tls().keystore().toString());
            p.put(prefix + "ssl.keystore.password", secure.tls().password());
            p.put(prefix + "ssl.key.password", secure.tls().password());
            // Kafka's own authorizer for KRaft; the PLAINTEXT/CONTROLLER principal is ANONYMOUS and must stay all-powerful
            p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
            StringBuilder su = new StringBuilder("User:ANONYMOUS");
            secure.superUsers().stream().sorted().forEach(u -> su.append(";User:").append(u));
            p.put("super.users", su.toString());
            p.put("allow.everyone.if.no.acl.found", "true");
        }
        // one node: every internal topic has one replica
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "4");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "4");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("share.coordinator.state.topic.num.partitions", "1");
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        // topics are created explicitly (Admin, Kafka Streams' own internal topic manager), as on a production cluster
        p.put("auto.create.topics.enable", "false");
        p.put("group.initial.rebalance.delay.ms", "0");
        // one record is one Arrow batch: 1024 tokens x 768 floats is ~3.2 MB, over Kafka's 1 MiB default
        p.put("message.max.bytes", Integer.toString(EmbeddedKafkaBroker.MAX_MESSAGE_BYTES));
        p.put("replica.fetch.max.bytes", Integer.toString(EmbeddedKafkaBroker.MAX_MESSAGE_BYTES));
        // a shared 2-core machine: fewer threads and a small log cleaner buffer (Kafka default 128 MiB)
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "4");
        p.put("background.threads", "4");
        p.put("num.recovery.threads.per.data.dir", "1");
        p.put("log.cleaner.dedupe.buffer.size", Integer.toString(8 * 1024 * 1024));
        p.putAll(overrides);
        return p;
    }
}
