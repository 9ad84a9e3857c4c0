package dev.livesae.service;

import dev.livesae.clients.KafkaClientConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The Kafka connection options every command that talks to Kafka shares (a picocli mixin):
 * {@code --bootstrap}, {@code --kafka-config FILE} (a Kafka client properties file, as for Kafka's own
 * {@code --command-config}) and {@code --kafka-property KEY=VALUE} (repeatable, wins over the file). The
 * properties reach every client the command creates: producers, consumers, admin clients and Kafka Streams'
 * internal clients.
 */
public final class KafkaOptions {

    @Option(names = "--bootstrap", paramLabel = "HOST:PORT",
            description = "Kafka bootstrap servers, HOST:PORT[,HOST:PORT...] (default: none; required unless "
                    + "bootstrap.servers is in --kafka-config).")
    String bootstrap;

    @Option(names = "--kafka-config", paramLabel = "FILE",
            description = "Kafka client properties file applied to every Kafka client of this command (security.protocol, "
                    + "sasl.*, ssl.*, timeouts, client.rack, ...). Values are never logged (default: none).")
    Path configFile;

    @Option(names = "--kafka-property", paramLabel = "KEY=VALUE",
            description = "One Kafka client property for every client of this command; repeatable; wins over "
                    + "--kafka-config (default: none).")
    List<String> properties = new ArrayList<>();

    public KafkaOptions() {
    }

    /** True if a bootstrap address was given either as the flag or in the properties. */
    public boolean given() {
        return (bootstrap != null && !bootstrap.isBlank()) || configFile != null || !properties.isEmpty();
    }

    /**
     * The validated client configuration.
     *
     * @throws IllegalArgumentException naming {@code --bootstrap}, {@code --kafka-config} or
     *                                  {@code --kafka-property}
     */
    public KafkaClientConfig clientConfig() {
        return KafkaClientConfig.load(bootstrap, configFile, properties);
    }
}
