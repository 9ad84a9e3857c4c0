package dev.livesae.monitor;

import dev.livesae.clients.ClientProperties;
import dev.livesae.clients.KafkaClientConfig;
import dev.livesae.service.HttpAuth;
import dev.livesae.service.ServiceHttpServer;
import dev.livesae.wire.DecodeLimits;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Everything the monitor needs, validated once. Exactly one of {@code topics} (non-empty) and
 * {@code topicPattern} (non-null) selects the code topics.
 *
 * @param bootstrap         Kafka bootstrap servers, HOST:PORT[,HOST:PORT...]
 * @param topics            code topics to read (e.g. {@code Topics.codes(model, hookpoint)}), or empty
 * @param topicPattern      regex over topic names (e.g. {@code codes\..*}), or null
 * @param windowTokens      tokens per window, W (count-based tumbling windows per SAE, hookpoint, version)
 * @param baselineTokens    tokens of a dictionary version that form its baseline when none is pinned
 * @param deadHorizonTokens a latent is dead when it has not fired in the last H tokens of its version
 * @param denseThreshold    a latent is dense when it fires on more than this fraction of a window's tokens
 * @param topN              features listed in a window summary's {@code topFeatures}
 * @param baselineFile      a pinned baseline (JSON, {@link Baseline}), or null
 * @param stateDir          Kafka Streams state directory, or null for a fresh temporary directory
 * @param applicationId     Kafka Streams application.id (consumer group, internal topic prefix)
 * @param metricsHost       address the HTTP endpoint binds
 * @param metricsPort       port of the HTTP endpoint, 0 for any free port
 * @param kafkaProperties   the user's Kafka client properties ({@code --kafka-config}, {@code --kafka-property}),
 *                          applied to Kafka Streams' internal clients and the monitor's admin client
 * @param maxSaes           streams (sae_id at a hookpoint) this instance tracks; codes of further ones are
 *                          dead-lettered {@code TOO_MANY_SAES} and create no state and no series
 * @param decodeLimits      the caps on one code record (bytes, d_sae, k, rows; zero-row batches rejected)
 * @param saePartitions     partitions of the internal topic ({@code <application.id>-codes-by-sae-repartition}) that
 *                          decoded code batches are routed through by SAE, so instances share SAEs rather than
 *                          input partition numbers; 0 = no repartition (tasks follow the input partitions)
 * @param drift             the drift decision's settings
 * @param contexts          what is kept of the text around firings (examples, histograms), and for how long
 * @param httpAuth          credentials the explorer page and the JSON routes require, or null (then the HTTP endpoint
 *                          must bind a loopback address, or contexts must be off)
 */
public record MonitorOptions(String bootstrap, List<String> topics, String topicPattern, int windowTokens,
                             int baselineTokens, long deadHorizonTokens, double denseThreshold, int topN,
                             Path baselineFile, Path stateDir, String applicationId, String metricsHost,
                             int metricsPort, Map<String, String> kafkaProperties, int maxSaes,
                             DecodeLimits decodeLimits, DriftOptions drift, int saePartitions,
                             ContextOptions contexts, HttpAuth httpAuth) {
    public static final int DEFAULT_WINDOW_TOKENS = 50_000;
    public static final double DEFAULT_DENSE_THRESHOLD = 0.1;
    public static final int DEFAULT_TOP_N = 20;
    public static final String DEFAULT_APPLICATION_ID = "livesae-monitor";
    public static final String DEFAULT_METRICS_HOST = "127.0.0.1";
    public static final int DEFAULT_METRICS_PORT = 9403;
    /** Partitions of the internal topic that spreads SAEs over instances: at most this many instances share the work. */
    public static final int DEFAULT_SAE_PARTITIONS = 8;
    public static final int MAX_SAE_PARTITIONS = 1024;
    /** The dead horizon is this many windows unless set. */
    public static final int DEFAULT_DEAD_HORIZON_WINDOWS = 10;
    /** SAE streams one instance tracks by default: 64 x ~40 MB at the largest default d_sae. */
    public static final int DEFAULT_MAX_SAES = 64;
    /** The codec's caps; a zero-row code batch is rejected (it would create state and carry nothing). */
    public static final DecodeLimits DEFAULT_DECODE_LIMITS = DecodeLimits.defaults().withAllowEmpty(false);

    public MonitorOptions {
        kafkaProperties = ClientProperties.of(kafkaProperties); // toString masks secrets
        bootstrap = KafkaClientConfig.of(bootstrap, kafkaProperties).bootstrap(); // validates; names --bootstrap
        topics = topics == null ? List.of() : List.copyOf(topics);
        if (topics.isEmpty() == (topicPattern == null)) {
            throw new IllegalArgumentException("exactly one of --model/--hookpoint, --topic and --topic-pattern must be given"
                    + " (got topics=" + topics + ", topicPattern=" + topicPattern + ")");
        }
        for (String t : topics) {
            if (t == null || t.isBlank()) {
                throw new IllegalArgumentException("--topic must be non-blank (got " + topics + ")");
            }
        }
        if (topicPattern != null) {
            try {
                Pattern.compile(topicPattern);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("--topic-pattern must be a regular expression (got " + topicPattern + ")", e);
            }
        }
        if (windowTokens < 1) {
            throw new IllegalArgumentException("--window-tokens must be >= 1 (got " + windowTokens + ")");
        }
        if (baselineTokens < 1) {
            throw new IllegalArgumentException("--baseline-tokens must be >= 1 (got " + baselineTokens + ")");
        }
        if (deadHorizonTokens < 1) {
            throw new IllegalArgumentException("--dead-horizon-tokens must be >= 1 (got " + deadHorizonTokens + ")");
        }
        if (!(denseThreshold > 0.0 && denseThreshold < 1.0)) {
            throw new IllegalArgumentException("--dense-threshold must be in (0, 1) (got " + denseThreshold + ")");
        }
        if (topN < 1 || topN > 10_000) {
            throw new IllegalArgumentException("--top-n must be in [1, 10000] (got " + topN + ")");
        }
        if (applicationId == null || applicationId.isBlank()) {
            throw new IllegalArgumentException("--application-id must be non-blank (got " + applicationId + ")");
        }
        if (metricsHost == null || metricsHost.isBlank()) {
            throw new IllegalArgumentException("--metrics-host must be non-blank (got " + metricsHost + ")");
        }
        ServiceHttpServer.checkPort(metricsPort);
        if (maxSaes < 1 || maxSaes > 100_000) {
            throw new IllegalArgumentException("--max-saes must be in [1, 100000] (got " + maxSaes + ")");
        }
        if (decodeLimits == null) {
            throw new IllegalArgumentException("decodeLimits must not be null");
        }
        if (drift == null) {
            throw new IllegalArgumentException("drift options must be set (got null)");
        }
        if (saePartitions < 0 || saePartitions > MAX_SAE_PARTITIONS) {
            throw new IllegalArgumentException("--sae-partitions must be in [0, " + MAX_SAE_PARTITIONS + "], 0 = follow the input "
                    + "partitions (got " + saePartitions + ")");
        }
        if (contexts == null) {
            throw new IllegalArgumentException("contexts options must be set (got null)");
        }
        if (contexts.enabled() && httpAuth == null && metricsPort != ServiceHttpServer.OFF && !HttpAuth.isLoopback(metricsHost)) {
            throw new IllegalArgumentException("--metrics-host " + metricsHost + " is not a loopback address, and the explorer and "
                    + "/features serve user text: give credentials with " + HttpAuth.FILE_FLAG + " FILE or the environment variable "
                    + HttpAuth.ENV + " ('bearer <token>' or 'basic <user>:<password>'), or run with --contexts off");
        }
    }

    /** Options with the default contexts and no HTTP credentials. */
    public MonitorOptions(String bootstrap, List<String> topics, String topicPattern, int windowTokens,
                          int baselineTokens, long deadHorizonTokens, double denseThreshold, int topN,
                          Path baselineFile, Path stateDir, String applicationId, String metricsHost,
                          int metricsPort, Map<String, String> kafkaProperties, int maxSaes,
                          DecodeLimits decodeLimits, DriftOptions drift, int saePartitions) {
        this(bootstrap, topics, topicPattern, windowTokens, baselineTokens, deadHorizonTokens, denseThreshold, topN,
                baselineFile, stateDir, applicationId, metricsHost, metricsPort, kafkaProperties, maxSaes, decodeLimits,
                drift, saePartitions, ContextOptions.DEFAULTS, null);
    }

    /** A copy keeping {@code c} of the text around firings. */
    public MonitorOptions withContexts(ContextOptions c) {
        return new MonitorOptions(bootstrap, topics, topicPattern, windowTokens, baselineTokens, deadHorizonTokens,
                denseThreshold, topN, baselineFile, stateDir, applicationId, metricsHost, metricsPort, kafkaProperties,
                maxSaes, decodeLimits, drift, saePartitions, c, httpAuth);
    }

    /** A copy whose explorer and JSON routes require {@code auth} (null: open, loopback only unless contexts are off). */
    public MonitorOptions withHttpAuth(HttpAuth auth) {
        return new MonitorOptions(bootstrap, topics, topicPattern, windowTokens, baselineTokens, deadHorizonTokens,
                denseThreshold, topN, baselineFile, stateDir, applicationId, metricsHost, metricsPort, kafkaProperties,
                maxSaes, decodeLimits, drift, saePartitions, contexts, auth);
    }

    /** Options with the default SAE partitions. */
    public MonitorOptions(String bootstrap, List<String> topics, String topicPattern, int windowTokens,
                          int baselineTokens, long deadHorizonTokens, double denseThreshold, int topN,
                          Path baselineFile, Path stateDir, String applicationId, String metricsHost, int metricsPort,
                          Map<String, String> kafkaProperties, int maxSaes, DecodeLimits decodeLimits, DriftOptions drift) {
        this(bootstrap, topics, topicPattern, windowTokens, baselineTokens, deadHorizonTokens, denseThreshold, topN,
                baselineFile, stateDir, applicationId, metricsHost, metricsPort, kafkaProperties, maxSaes, decodeLimits,
                drift, DEFAULT_SAE_PARTITIONS);
    }

    /** A copy whose decoded code batches are spread over {@code n} partitions by SAE (0 = follow the input). */
    public MonitorOptions withSaePartitions(int n) {
        return new MonitorOptions(bootstrap, topics, topicPattern, windowTokens, baselineTokens, deadHorizonTokens,
                denseThreshold, topN, baselineFile, stateDir, applicationId, metricsHost, metricsPort, kafkaProperties,
                maxSaes, decodeLimits, drift, n, contexts, httpAuth);
    }

    /** Options with the default drift decision settings. */
    public MonitorOptions(String bootstrap, List<String> topics, String topicPattern, int windowTokens,
                          int baselineTokens, long deadHorizonTokens, double denseThreshold, int topN,
                          Path baselineFile, Path stateDir, String applicationId, String metricsHost, int metricsPort,
                          Map<String, String> kafkaProperties, int maxSaes, DecodeLimits decodeLimits) {
        this(bootstrap, topics, topicPattern, windowTokens, baselineTokens, deadHorizonTokens, denseThreshold, topN,
                baselineFile, stateDir, applicationId, metricsHost, metricsPort, kafkaProperties, maxSaes, decodeLimits,
                DriftOptions.DEFAULTS);
    }

    /** Options with the default SAE cap and decode limits. */
    public MonitorOptions(String bootstrap, List<String> topics, String topicPattern, int windowTokens,
                          int baselineTokens, long deadHorizonTokens, double denseThreshold, int topN,
                          Path baselineFile, Path stateDir, String applicationId, String metricsHost, int metricsPort,
                          Map<String, String> kafkaProperties) {
        this(bootstrap, topics, topicPattern, windowTokens, baselineTokens, deadHorizonTokens, denseThreshold, topN,
                baselineFile, stateDir, applicationId, metricsHost, metricsPort, kafkaProperties, DEFAULT_MAX_SAES,
                DEFAULT_DECODE_LIMITS, DriftOptions.DEFAULTS);
    }

    /** Where every Kafka client of this monitor gets its configuration. */
    public KafkaClientConfig kafka() {
        return KafkaClientConfig.of(bootstrap, kafkaProperties);
    }

    /** A copy whose clients get these user properties. */
    public MonitorOptions withKafkaProperties(Map<String, String> props) {
        return new MonitorOptions(bootstrap, topics, topicPattern, windowTokens, baselineTokens, deadHorizonTokens,
                denseThreshold, topN, baselineFile, stateDir, applicationId, metricsHost, metricsPort, props, maxSaes, decodeLimits, drift, saePartitions, contexts, httpAuth);
    }

    /** Options with every default, reading {@code topics}. */
    public static MonitorOptions forTopics(String bootstrap, List<String> topics) {
        return new MonitorOptions(bootstrap, topics, null, DEFAULT_WINDOW_TOKENS, DEFAULT_WINDOW_TOKENS,
                (long) DEFAULT_DEAD_HORIZON_WINDOWS * DEFAULT_WINDOW_TOKENS, DEFAULT_DENSE_THRESHOLD, DEFAULT_TOP_N,
                null, null, DEFAULT_APPLICATION_ID, DEFAULT_METRICS_HOST, DEFAULT_METRICS_PORT, Map.of());
    }

    /** A copy with window W, baseline W and dead horizon 10 W. */
    public MonitorOptions withWindowTokens(int w) {
        return new MonitorOptions(bootstrap, topics, topicPattern, w, w, (long) DEFAULT_DEAD_HORIZON_WINDOWS * w,
                denseThreshold, topN, baselineFile, stateDir, applicationId, metricsHost, metricsPort, kafkaProperties, maxSaes, decodeLimits, drift, saePartitions, contexts, httpAuth);
    }

    public MonitorOptions withBaselineTokens(int b) {
        return new MonitorOptions(bootstrap, topics, topicPattern, windowTokens, b, deadHorizonTokens,
                denseThreshold, topN, baselineFile, stateDir, applicationId, metricsHost, metricsPort, kafkaProperties, maxSaes, decodeLimits, drift, saePartitions, contexts, httpAuth);
    }

    public MonitorOptions withDeadHorizonTokens(long h) {
        return new MonitorOptions(bootstrap, topics, topicPattern, windowTokens, baselineTokens, h,
                denseThreshold, topN, baselineFile, stateDir, applicationId, metricsHost, metricsPort, kafkaProperties, maxSaes, decodeLimits, drift, saePartitions, contexts, httpAuth);
    }

    public MonitorOptions withBaselineFile(Path file) {
        return new MonitorOptions(bootstrap, topics, topicPattern, windowTokens, baselineTokens, deadHorizonTokens,
                denseThreshold, topN, file, stateDir, applicationId, metricsHost, metricsPort, kafkaProperties, maxSaes, decodeLimits, drift, saePartitions, contexts, httpAuth);
    }

    public MonitorOptions withApplicationId(String id) {
        return new MonitorOptions(bootstrap, topics, topicPattern, windowTokens, baselineTokens, deadHorizonTokens,
                denseThreshold, topN, baselineFile, stateDir, id, metricsHost, metricsPort, kafkaProperties, maxSaes, decodeLimits, drift, saePartitions, contexts, httpAuth);
    }

    public MonitorOptions withMetrics(String host, int port) {
        return new MonitorOptions(bootstrap, topics, topicPattern, windowTokens, baselineTokens, deadHorizonTokens,
                denseThreshold, topN, baselineFile, stateDir, applicationId, host, port, kafkaProperties, maxSaes, decodeLimits, drift, saePartitions, contexts, httpAuth);
    }

    public MonitorOptions withMaxSaes(int n) {
        return new MonitorOptions(bootstrap, topics, topicPattern, windowTokens, baselineTokens, deadHorizonTokens,
                denseThreshold, topN, baselineFile, stateDir, applicationId, metricsHost, metricsPort, kafkaProperties,
                n, decodeLimits, drift, saePartitions, contexts, httpAuth);
    }

    public MonitorOptions withDecodeLimits(DecodeLimits limits) {
        return new MonitorOptions(bootstrap, topics, topicPattern, windowTokens, baselineTokens, deadHorizonTokens,
                denseThreshold, topN, baselineFile, stateDir, applicationId, metricsHost, metricsPort, kafkaProperties,
                maxSaes, limits, drift, saePartitions, contexts, httpAuth);
    }

    public MonitorOptions withTopN(int n) {
        return new MonitorOptions(bootstrap, topics, topicPattern, windowTokens, baselineTokens, deadHorizonTokens,
                denseThreshold, n, baselineFile, stateDir, applicationId, metricsHost, metricsPort, kafkaProperties, maxSaes, decodeLimits, drift, saePartitions, contexts, httpAuth);
    }

    public MonitorOptions withDrift(DriftOptions d) {
        return new MonitorOptions(bootstrap, topics, topicPattern, windowTokens, baselineTokens, deadHorizonTokens,
                denseThreshold, topN, baselineFile, stateDir, applicationId, metricsHost, metricsPort, kafkaProperties,
                maxSaes, decodeLimits, d, saePartitions, contexts, httpAuth);
    }
}
