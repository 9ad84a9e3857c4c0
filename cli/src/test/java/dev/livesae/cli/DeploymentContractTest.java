package dev.livesae.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livesae.kafka.test.KafkaBrokerExtension;
import dev.livesae.monitor.MonitorMetrics;
import dev.livesae.monitor.MonitorOptions;
import dev.livesae.monitor.MonitorTopology;
import dev.livesae.monitor.TelemetryListener;
import dev.livesae.producer.ActivationPublisher;
import dev.livesae.producer.PublisherOptions;
import dev.livesae.sources.model.MiniLmModel;
import dev.livesae.trainer.TrainerMetrics;
import dev.livesae.wire.CodeBatch;
import dev.livesae.wire.CodeBatchSerde;
import dev.livesae.wire.CodeMeta;
import dev.livesae.wire.DeadLetterPublisher;
import dev.livesae.wire.RejectReason;
import dev.livesae.wire.Topics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The docker deployment (docker/) agrees with the code: the compose file, Prometheus and Alertmanager configs
 * pass their own tools, every {@code livesae_*} series the Grafana dashboard and the alert rules query is one the
 * services really export (with the labels the queries use), scrape targets and healthchecks point at the ports
 * the services listen on, and the topics the compose stack creates are the wire module's names with configs a
 * real broker accepts.
 *
 * <p>The exported series come from the services' own meter binders registered in a
 * {@link PrometheusMeterRegistry} and exercised through real code paths (the publisher against the broker, the
 * monitor's topology through {@link TopologyTestDriver}), then scraped.
 */
class DeploymentContractTest {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    private static final Path REPO = repoRoot();
    private static final Path DOCKER = REPO.resolve("docker");
    private static final Path COMPOSE = DOCKER.resolve("docker-compose.yml");
    private static final Path PROMETHEUS_DIR = DOCKER.resolve("prometheus");
    private static final Path PROMETHEUS = PROMETHEUS_DIR.resolve("prometheus.yml");
    private static final Path ALERTS = PROMETHEUS_DIR.resolve("alerts.yml");
    private static final Path ALERTMANAGER = DOCKER.resolve("alertmanager/alertmanager.yml");
    private static final Path DASHBOARD = DOCKER.resolve("grafana/dashboards/livesae.json");
    /** Where compose mounts docker/prometheus inside the Prometheus container. */
    private static final String PROMETHEUS_MOUNT = "/etc/prometheus";

    private static final Map<String, String> SUBCOMMANDS = Map.of("producer", "produce", "trainer", "train",
            "monitor", "monitor");
    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(90);

    private static final Pattern METRIC = Pattern.compile("(?<![A-Za-z0-9_:])(livesae_[A-Za-z0-9_:]*)\\s*(\\{([^}]*)})?");
    private static final Pattern NAME_SELECTOR = Pattern.compile(
            "\\{([^}]*?__name__\\s*(=~|=)\\s*\"((?:[^\"\\\\]|\\\\.)*)\"[^}]*)}");
    private static final Pattern MATCHER_LABEL = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)\\s*(?:=~|!~|!=|=)");
    private static final Pattern GROUPING = Pattern.compile(
            "\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\(([^)]*)\\)");
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\((?:.*),\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*\\)");
    private static final Pattern SAMPLE_LABEL = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=\"(?:[^\"\\\\]|\\\\.)*\"");
    private static final Pattern CREATE_TOPIC = Pattern.compile(
            "^\\s*create \"([^\"]+)\" (\\d+)((?: [A-Za-z0-9_.]+=\\S+)*)\\s*$", Pattern.MULTILINE);

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    // ------------------------------------------------------------------------------------------------ tools

    @Test
    void composeFileIsValidForDockerCompose() {
        assumeTrue(onPath("docker-compose"),
                "docker-compose is not on PATH: install it (apt-get install -y docker-compose) to validate docker/docker-compose.yml");
        Result r = run(List.of("docker-compose", "-f", COMPOSE.toString(), "config", "-q"));
        assertThat(r.exit()).as("docker-compose config -q:%n%s", r.output()).isZero();
    }

    @Test
    void prometheusConfigAndItsRuleFilesPassPromtool() {
        assertThat(PROMETHEUS).as("docker/prometheus/prometheus.yml (monitor module)").isRegularFile();
        assumeTrue(onPath("promtool"), "promtool is not on PATH: install it (apt-get install -y prometheus)");
        Result r = run(List.of("promtool", "check", "config", PROMETHEUS.toString()));
        assertThat(r.exit()).as("promtool check config:%n%s", r.output()).isZero();
    }

    @Test
    void alertmanagerConfigPassesAmtool() {
        assumeTrue(onPath("amtool"),
                "amtool is not on PATH: install it (apt-get install -y prometheus-alertmanager) to validate alertmanager.yml");
        Result r = run(List.of("amtool", "check-config", ALERTMANAGER.toString()));
        assertThat(r.exit()).as("amtool check-config:%n%s", r.output()).isZero();
    }

    /** Grafana variables replaced by plain values, every panel query must parse as PromQL. */
    @Test
    void dashboardQueriesAreValidPromQl() throws IOException {
        assumeTrue(onPath("promtool"), "promtool is not on PATH: install it (apt-get install -y prometheus)");
        List<String> exprs = dashboardPanelQueries();
        assertThat(exprs).hasSizeGreaterThanOrEqualTo(20);
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard-queries\n    rules:\n");
        for (int i = 0; i < exprs.size(); i++) {
            String promql = exprs.get(i)
                    .replaceAll("\\$__(rate_interval|interval|range)", "5m")
                    .replaceAll("\\$\\{?[A-Za-z_][A-Za-z0-9_]*}?", ".*");
            rules.append("      - record: dashboard:query_").append(i).append('\n')
                    .append("        expr: '").append(promql.replace("'", "''")).append("'\n");
        }
        Path file = tmp.resolve("dashboard-queries.yml");
        Files.writeString(file, rules);
        Result r = run(List.of("promtool", "check", "rules", file.toString()));
        assertThat(r.exit()).as("promtool check rules on the dashboard's queries:%n%s%n%s", r.output(), rules).isZero();
    }

    // ------------------------------------------------------------------------------------------------ metric names

    @Test
    void everyLivesaeSeriesInDashboardAndAlertsIsExportedWithTheLabelsQueried() throws Exception {
        Map<String, Set<String>> exported = exportedSeries();
        Set<String> targetLabels = targetLabels();

        Map<String, List<String>> sources = new LinkedHashMap<>();
        sources.put("docker/grafana/dashboards/livesae.json", dashboardQueries());
        sources.put("docker/prometheus/alerts.yml", alertExpressions());

        List<String> problems = new ArrayList<>();
        Set<String> referenced = new TreeSet<>();
        sources.forEach((file, exprs) -> {
            Set<String> inFile = new TreeSet<>();
            for (String expr : exprs) {
                problems.addAll(check(file, expr, exported, targetLabels, inFile));
            }
            if (inFile.isEmpty()) {
                problems.add(file + ": queries no livesae_* series at all");
            }
            referenced.addAll(inFile);
        });
        assertThat(problems)
                .as("series or labels referenced but not exported; exported livesae series:%n%s",
                        exported.entrySet().stream().map(e -> "  " + e.getKey() + " " + e.getValue())
                                .collect(Collectors.joining("\n")))
                .isEmpty();
        // the dashboard covers each service: at least one series of every component
        assertThat(referenced).anyMatch(n -> n.startsWith("livesae_producer_"))
                .anyMatch(n -> n.startsWith("livesae_trainer_"))
                .anyMatch(n -> n.startsWith("livesae_monitor_"))
                .anyMatch(n -> n.startsWith("livesae_records_rejected"));
    }

    /** Checks one query; adds the livesae series it uses to {@code used}. */
    private static List<String> check(String file, String expr, Map<String, Set<String>> exported, Set<String> targetLabels,
                                      Set<String> used) {
        List<String> problems = new ArrayList<>();
        Set<String> labelsInScope = new TreeSet<>(targetLabels);
        // selectors by name pattern, e.g. {__name__=~"livesae_x(_y)?_total"}: some exported series must match
        Matcher byName = NAME_SELECTOR.matcher(expr);
        StringBuilder rest = new StringBuilder();
        while (byName.find()) {
            Pattern names = Pattern.compile(byName.group(2).equals("=~")
                    ? byName.group(3).replace("\\\\", "\\") : Pattern.quote(byName.group(3)));
            Set<String> matched = new TreeSet<>();
            Set<String> labels = new TreeSet<>();
            exported.forEach((name, l) -> {
                if (names.matcher(name).matches()) {
                    matched.add(name);
                    labels.addAll(l);
                }
            });
            if (matched.isEmpty()) {
                problems.add(file + ": no exported series matches __name__" + byName.group(2) + "\"" + byName.group(3)
                        + "\" (in: " + expr + ")");
            }
            used.addAll(matched);
            labelsInScope.addAll(labels);
            Matcher l = MATCHER_LABEL.matcher(byName.group(1).replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\""));
            while (l.find()) {
                String label = l.group(1);
                if (!label.equals("__name__") && !labels.contains(label) && !targetLabels.contains(label)) {
                    problems.add(file + ": " + matched + " have no label " + label + " (have " + labels + ")");
                }
            }
            byName.appendReplacement(rest, "");
        }
        byName.appendTail(rest);
        Matcher m = METRIC.matcher(rest);
        while (m.find()) {
            String name = m.group(1);
            used.add(name);
            Set<String> labels = exported.get(name);
            if (labels == null) {
                problems.add(file + ": " + name + " is not exported (in: " + expr + ")");
                continue;
            }
            labelsInScope.addAll(labels);
            if (m.group(3) != null) {
                Matcher l = MATCHER_LABEL.matcher(m.group(3).replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\""));
                while (l.find()) {
                    if (!labels.contains(l.group(1)) && !targetLabels.contains(l.group(1))) {
                        problems.add(file + ": " + name + " has no label " + l.group(1) + " (has " + labels + ")");
                    }
                }
            }
        }
        List<String> grouped = new ArrayList<>();
        Matcher g = GROUPING.matcher(expr);
        while (g.find()) {
            Arrays.stream(g.group(1).split(",")).map(String::trim).filter(s -> !s.isEmpty()).forEach(grouped::add);
        }
        Matcher lv = LABEL_VALUES.matcher(expr);
        while (lv.find()) {
            grouped.add(lv.group(1));
        }
        for (String label : grouped) {
            if (!labelsInScope.contains(label)) {
                problems.add(file + ": label " + label + " is on none of the series of: " + expr);
            }
        }
        return problems;
    }

    /**
     * The livesae series a Prometheus scrape of the three services shows, each with its label names, from the
     * services' own binders exercised through real code paths.
     */
    private Map<String, Set<String>> exportedSeries() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try {
            exerciseTrainerMetrics(registry);
            exerciseMonitor(registry);
            exercisePublisher(registry);
            for (String component : List.of("producer", "trainer")) {
                for (RejectReason reason : RejectReason.values()) {
                    DeadLetterPublisher.rejectedCounter(registry, reason, component).increment();
                }
            }
            return series(registry.scrape());
        } finally {
            registry.close();
        }
    }

    private static void exerciseTrainerMetrics(PrometheusMeterRegistry registry) {
        TrainerMetrics trainer = new TrainerMetrics("blocks.3.hook_resid_post", "contract-sae");
        trainer.bindTo(registry);
        trainer.step(4096, 0.21, 31.8, 0.02, 0.001, 0.04, 3, TimeUnit.MILLISECONDS.toNanos(40));
        trainer.stepSkipped(TimeUnit.MILLISECONDS.toNanos(35));
        trainer.lag(12);
        trainer.dictionaryVersion(3);
        trainer.checkpointWritten();
        trainer.catchUpSkipped(0);
        trainer.codeBatchPublished();
    }

    /** Code batches (windows of 4 tokens: a baseline, then a window compared with it) and one undecodable record. */
    private void exerciseMonitor(PrometheusMeterRegistry registry) throws IOException {
        String model = "all-MiniLM-L6-v2";
        String hookpoint = "blocks.3.hook_resid_post";
        String topic = Topics.codes(model, hookpoint);
        MonitorOptions options = MonitorOptions.forTopics("unused:9092", List.of(topic)).withWindowTokens(4);
        MonitorMetrics metrics = new MonitorMetrics();
        metrics.bindTo(registry);
        Path state = Files.createDirectories(tmp.resolve("monitor-state"));
        try (CodeBatchSerde serde = new CodeBatchSerde();
             TopologyTestDriver driver = new TopologyTestDriver(MonitorTopology.build(options, metrics, TelemetryListener.NONE),
                     MonitorTopology.streamsConfig(options, Map.of(StreamsConfig.STATE_DIR_CONFIG, state.toString())))) {
            TestInputTopic<byte[], byte[]> codes = driver.createInputTopic(topic, new ByteArraySerializer(),
                    new ByteArraySerializer());
            CodeMeta meta = new CodeMeta("contract-sae", 1, model, hookpoint, 8, 6, 2);
            int rows = 12;
            long[] seq = new long[rows];
            int[] pos = new int[rows];
            int[] idx = new int[rows * 2];
            float[] val = new float[rows * 2];
            float[] err = new float[rows];
            float[] norm = new float[rows];
            for (int r = 0; r < rows; r++) {
                seq[r] = r / 4;
                pos[r] = r % 4;
                idx[2 * r] = r % 6;
                idx[2 * r + 1] = (r + 3) % 6;
                val[2 * r] = 1.5f;
                val[2 * r + 1] = r < 8 ? 0.5f : 0f;
                err[r] = 0.1f + r / 100f;
                norm[r] = 1f;
            }
            codes.pipeInput(null, serde.serializer().serialize(topic,
                    new CodeBatch(meta, seq, pos, null, idx, val, err, norm)));
            codes.pipeInput(null, "not an arrow stream".getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Publishes two fixed rows through the real publisher to the test broker. */
    private static void exercisePublisher(PrometheusMeterRegistry registry) {
        PublisherOptions options = PublisherOptions.defaults(KAFKA.bootstrapServers(),
                "deploy-contract-" + UUID.randomUUID().toString().substring(0, 8));
        try (ActivationPublisher publisher = new ActivationPublisher(options, registry)) {
            float[] rows = {0.5f, -1f, 0.25f, 2f, 1f, 0f, -0.5f, 0.75f};
            assertThat(publisher.publish("blocks.3.hook_resid_post", new long[] {1, 1}, new int[] {0, 1},
                    new int[] {101, 2023}, rows)).isTrue();
            assertThat(publisher.flush(Duration.ofSeconds(60))).as("publisher flushed to the test broker").isTrue();
        }
    }

    /** Sample name to label names, for every {@code livesae_} sample of a text-format scrape. */
    static Map<String, Set<String>> series(String scrape) {
        Map<String, Set<String>> out = new TreeMap<>();
        for (String line : scrape.split("\n")) {
            if (line.isBlank() || line.startsWith("#") || !line.startsWith("livesae_")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.indexOf(' ');
            boolean labelled = brace >= 0 && (space < 0 || brace < space);
            String name = line.substring(0, labelled ? brace : space);
            Set<String> labels = out.computeIfAbsent(name, n -> new TreeSet<>());
            if (labelled) {
                Matcher l = SAMPLE_LABEL.matcher(line.substring(brace + 1, line.lastIndexOf('}')));
                while (l.find()) {
                    labels.add(l.group(1));
                }
            }
        }
        return out;
    }

    @Test
    void seriesParserReadsNamesAndLabels() {
        Map<String, Set<String>> s = series("""
                # HELP livesae_a_total x
                # TYPE livesae_a_total counter
                livesae_a_total{hookpoint="blocks.3",reason="a,b=\\"c\\""} 1.0
                livesae_b_seconds_max 0.5
                jvm_memory_used_bytes{area="heap"} 3
                """);
        assertThat(s).containsOnlyKeys("livesae_a_total", "livesae_b_seconds_max");
        assertThat(s.get("livesae_a_total")).containsExactly("hookpoint", "reason");
        assertThat(s.get("livesae_b_seconds_max")).isEmpty();
    }

    @Test
    void checkFlagsUnknownSeriesAndLabels() {
        Map<String, Set<String>> exported = Map.of("livesae_x_total", Set.of("hookpoint"));
        Set<String> used = new TreeSet<>();
        assertThat(check("f", "sum by (hookpoint) (rate(livesae_x_total{hookpoint=~\"$h\"}[5m]))", exported,
                Set.of("job"), used)).isEmpty();
        assertThat(check("f", "rate(livesae_y_total[5m])", exported, Set.of("job"), used))
                .singleElement().asString().contains("livesae_y_total is not exported");
        assertThat(check("f", "livesae_x_total{sae_id=\"a\"}", exported, Set.of("job"), used))
                .singleElement().asString().contains("no label sae_id");
        assertThat(check("f", "sum by (reason) (livesae_x_total)", exported, Set.of("job"), used))
                .singleElement().asString().contains("label reason");
        assertThat(check("f", "sum by (reason) (increase({__name__=~\"livesae_x(_records)?_total\", hookpoint!=\"\"}[5m]))",
                Map.of("livesae_x_total", Set.of("reason", "hookpoint")), Set.of("job"), used)).isEmpty();
        assertThat(check("f", "{__name__=~\"livesae_z_.*\"}", exported, Set.of("job"), used))
                .singleElement().asString().contains("no exported series matches");
        assertThat(used).containsExactly("livesae_x_total", "livesae_y_total");
    }

    // ------------------------------------------------------------------------------------------------ wiring

    @Test
    void livesaeServicesRunTheirCommandAndHealthcheckThePublishedMetricsPort() {
        Map<String, Object> services = map(yaml(COMPOSE).get("services"));
        for (Map.Entry<String, String> e : SUBCOMMANDS.entrySet()) {
            Map<String, Object> svc = map(services.get(e.getKey()));
            Map<String, Object> build = map(svc.get("build"));
            assertThat(build.get("dockerfile")).as(e.getKey() + " build.dockerfile").isEqualTo("docker/Dockerfile");
            assertThat(DOCKER.resolve(String.valueOf(build.get("context"))).resolve("docker/Dockerfile")).isRegularFile();
            List<String> command = strings(svc.get("command"));
            assertThat(command.get(0)).as(e.getKey() + " subcommand").isEqualTo(e.getValue());
            String port = flag(command, "--metrics-port");
            assertThat(flag(command, "--metrics-host")).as(e.getKey() + " --metrics-host").isEqualTo("0.0.0.0");
            assertThat(flag(command, "--bootstrap")).as(e.getKey() + " --bootstrap").isEqualTo("kafka:9092");
            assertThat(strings(map(svc.get("healthcheck")).get("test"))).as(e.getKey() + " healthcheck").contains(port);
            assertThat(containerPorts(svc)).as(e.getKey() + " published ports").contains(port);
            // the real command line parses it: a renamed or mistyped flag fails here, not in a container
            picocli.CommandLine cl = Sae.commandLine(new LayeredDefaults(Map.of(), new java.util.Properties()));
            picocli.CommandLine.ParseResult parsed = cl.parseArgs(command.toArray(String[]::new));
            assertThat(parsed.subcommand().commandSpec().name()).as(e.getKey() + " parsed subcommand").isEqualTo(e.getValue());
        }
        String dockerfile = read(DOCKER.resolve("Dockerfile"));
        assertThat(dockerfile).contains("mvn -B -q -Dmaven.test.skip=true package", "cli/target/sae.jar", "cli/target/lib",
                "\"--add-opens=java.base/java.nio=ALL-UNNAMED\", \"-jar\", \"/app/sae.jar\"", "docker/healthcheck.sh");
        assertThat(DOCKER.resolve("healthcheck.sh")).isExecutable();
    }

    @Test
    void prometheusScrapesComposeServicesOnTheirPortsAndFindsItsRuleFiles() {
        assertThat(PROMETHEUS).as("docker/prometheus/prometheus.yml (monitor module)").isRegularFile();
        Map<String, Object> services = map(yaml(COMPOSE).get("services"));
        assertThat(strings(map(services.get("prometheus")).get("volumes")))
                .contains("./prometheus:" + PROMETHEUS_MOUNT + ":ro");
        Map<String, Object> prometheus = yaml(PROMETHEUS);

        List<String> targets = new ArrayList<>();
        for (Object job : list(prometheus.get("scrape_configs"))) {
            for (Object sc : list(map(job).get("static_configs"))) {
                targets.addAll(strings(map(sc).get("targets")));
            }
        }
        Object alerting = prometheus.get("alerting");
        if (alerting != null) {
            for (Object am : list(map(alerting).get("alertmanagers"))) {
                for (Object sc : list(map(am).get("static_configs"))) {
                    targets.addAll(strings(map(sc).get("targets")));
                }
            }
        }
        Set<String> scraped = new TreeSet<>();
        for (String target : targets) {
            String host = target.substring(0, target.lastIndexOf(':'));
            String port = target.substring(target.lastIndexOf(':') + 1);
            if (host.equals("localhost") || host.equals("127.0.0.1")) {
                assertThat(port).as("Prometheus's own target " + target).isEqualTo("9090");
                continue;
            }
            assertThat(services).as("target " + target + " names a compose service").containsKey(host);
            assertThat(listeningPorts(map(services.get(host)))).as("ports of " + host).contains(port);
            scraped.add(host);
        }
        assertThat(scraped).as("Prometheus scrapes the three livesae services and notifies Alertmanager")
                .containsAll(SUBCOMMANDS.keySet()).contains("alertmanager");

        List<String> ruleFiles = strings(prometheus.get("rule_files"));
        assertThat(ruleFiles).isNotEmpty();
        for (String rf : ruleFiles) {
            String relative = rf.startsWith(PROMETHEUS_MOUNT + "/") ? rf.substring(PROMETHEUS_MOUNT.length() + 1) : rf;
            assertThat(relative).as("rule file " + rf + " lies in the mounted directory").doesNotStartWith("/");
            assertThat(PROMETHEUS_DIR.resolve(relative)).as("rule file " + rf).isRegularFile();
        }
    }

    @Test
    void kafkaInitCreatesTheWireTopicsWithConfigsTheBrokerAccepts() throws Exception {
        Map<String, Object> services = map(yaml(COMPOSE).get("services"));
        Map<String, Object> init = map(services.get("kafka-init"));
        Map<String, Object> env = map(init.get("environment"));
        String model = String.valueOf(env.get("MODEL"));
        String hookpoint = String.valueOf(env.get("HOOKPOINT"));
        assertThat(model).isEqualTo(MiniLmModel.MODEL_NAME);
        assertThat(flag(strings(map(services.get("producer")).get("command")), "--hookpoint")).isEqualTo(hookpoint);
        for (String svc : List.of("trainer", "monitor")) {
            List<String> command = strings(map(services.get(svc)).get("command"));
            assertThat(flag(command, "--model")).as(svc + " --model").isEqualTo(model);
            assertThat(flag(command, "--hookpoint")).as(svc + " --hookpoint").isEqualTo(hookpoint);
        }

        String script = strings(init.get("command")).get(0).replace("$$", "$");
        Map<String, NewTopic> topics = new LinkedHashMap<>();
        Matcher m = CREATE_TOPIC.matcher(script);
        while (m.find()) {
            String name = m.group(1).replace("$suffix", model + "." + hookpoint);
            Map<String, String> configs = new TreeMap<>();
            for (String kv : m.group(3).trim().split(" ")) {
                if (!kv.isEmpty()) {
                    configs.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
                }
            }
            topics.put(name, new NewTopic(name, Integer.parseInt(m.group(2)), (short) 1).configs(configs));
        }
        String activations = Topics.activations(model, hookpoint);
        String codes = Topics.codes(model, hookpoint);
        assertThat(topics.keySet()).containsExactlyInAnyOrder(activations, codes, Topics.deadLetter(activations),
                Topics.deadLetter(codes), Topics.windows(model, hookpoint), Topics.drift(model, hookpoint), Topics.BASELINES);
        assertThat(topics.get(Topics.BASELINES).configs()).containsEntry("cleanup.policy", "compact");

        // the broker validates names, partition counts and every config without creating anything
        String suffix = ".contract-" + UUID.randomUUID().toString().substring(0, 8);
        List<NewTopic> probes = topics.values().stream()
                .map(t -> new NewTopic(t.name() + suffix, t.numPartitions(), t.replicationFactor()).configs(t.configs()))
                .toList();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()))) {
            admin.createTopics(probes, new CreateTopicsOptions().validateOnly(true)).all().get(60, TimeUnit.SECONDS);
        }
    }

    // ------------------------------------------------------------------------------------------------ inputs

    /** Every query in the dashboard: panel targets and template variable queries. */
    private static List<String> dashboardQueries() throws IOException {
        JsonNode dashboard = JSON.readTree(DASHBOARD.toFile());
        List<String> out = new ArrayList<>(dashboardPanelQueries());
        for (JsonNode v : dashboard.path("templating").path("list")) {
            JsonNode q = v.path("query");
            out.add(q.isTextual() ? q.asText() : q.path("query").asText());
        }
        return out;
    }

    private static List<String> dashboardPanelQueries() throws IOException {
        List<String> out = new ArrayList<>();
        collectTargets(JSON.readTree(DASHBOARD.toFile()).path("panels"), out);
        return out;
    }

    private static void collectTargets(JsonNode panels, List<String> out) {
        for (JsonNode p : panels) {
            for (JsonNode t : p.path("targets")) {
                if (t.hasNonNull("expr")) {
                    out.add(t.get("expr").asText());
                }
            }
            collectTargets(p.path("panels"), out);
        }
    }

    private static List<String> alertExpressions() {
        assertThat(ALERTS).as("docker/prometheus/alerts.yml (monitor module)").isRegularFile();
        List<String> out = new ArrayList<>();
        for (Object group : list(yaml(ALERTS).get("groups"))) {
            for (Object rule : list(map(group).get("rules"))) {
                out.add(String.valueOf(map(rule).get("expr")));
            }
        }
        return out;
    }

    /** Labels Prometheus adds at scrape time: job, instance and static labels of prometheus.yml. */
    private static Set<String> targetLabels() {
        Set<String> labels = new TreeSet<>(Set.of("job", "instance"));
        if (Files.isRegularFile(PROMETHEUS)) {
            for (Object job : list(yaml(PROMETHEUS).get("scrape_configs"))) {
                for (Object sc : list(map(job).get("static_configs"))) {
                    labels.addAll(map(map(sc).get("labels")).keySet());
                }
                for (Object rc : list(map(job).get("relabel_configs"))) {
                    Object target = map(rc).get("target_label");
                    if (target != null) {
                        labels.add(target.toString());
                    }
                }
            }
        }
        return labels;
    }

    private static Set<String> containerPorts(Map<String, Object> service) {
        Set<String> ports = new LinkedHashSet<>();
        for (String mapping : strings(service.get("ports"))) {
            String p = mapping.contains("/") ? mapping.substring(0, mapping.indexOf('/')) : mapping;
            ports.add(p.substring(p.lastIndexOf(':') + 1));
        }
        return ports;
    }

    /** Ports a service listens on inside the compose network: published, exposed, or its --metrics-port. */
    private static Set<String> listeningPorts(Map<String, Object> service) {
        Set<String> ports = containerPorts(service);
        ports.addAll(strings(service.get("expose")));
        Object command = service.get("command");
        if (command instanceof List<?>) {
            List<String> args = strings(command);
            if (args.stream().anyMatch(a -> a.startsWith("--metrics-port"))) {
                ports.add(flag(args, "--metrics-port"));
            }
        }
        return ports;
    }

    /** Value of {@code --name=value} or {@code --name value} in an argument list. */
    private static String flag(List<String> args, String name) {
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).startsWith(name + "=")) {
                return args.get(i).substring(name.length() + 1);
            }
            if (args.get(i).equals(name) && i + 1 < args.size()) {
                return args.get(i + 1);
            }
        }
        throw new AssertionError("no " + name + " in " + args);
    }

    private static Map<String, Object> yaml(Path file) {
        return map(new Yaml(new SafeConstructor(new LoaderOptions())).load(read(file)));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return o == null ? Map.of() : (Map<String, Object>) o;
    }

    private static List<?> list(Object o) {
        return o == null ? List.of() : (List<?>) o;
    }

    private static List<String> strings(Object o) {
        return list(o).stream().map(String::valueOf).toList();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path repoRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("docker/docker-compose.yml")) && Files.isRegularFile(p.resolve("pom.xml"))) {
                return p;
            }
        }
        throw new IllegalStateException("no docker/docker-compose.yml above " + Path.of("").toAbsolutePath());
    }

    // ------------------------------------------------------------------------------------------------ processes

    private record Result(int exit, String output) {
    }

    private static boolean onPath(String executable) {
        String path = System.getenv("PATH");
        return path != null && Arrays.stream(path.split(File.pathSeparator))
                .anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, executable)));
    }

    private static Result run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).directory(REPO.toFile()).redirectErrorStream(true).start();
            p.getOutputStream().close();
            CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
                try (InputStream in = p.getInputStream()) {
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            if (!p.waitFor(TOOL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(command + " did not finish within " + TOOL_TIMEOUT);
            }
            return new Result(p.exitValue(), output.get(10, TimeUnit.SECONDS));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new AssertionError("running " + command + " failed", e);
        }
    }
}
