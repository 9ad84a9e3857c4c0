package dev.livesae.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.apache.kafka.streams.StreamsConfig;

import dev.livesae.monitor.MonitorCommand;
import dev.livesae.monitor.MonitorOptions;
import dev.livesae.monitor.MonitorService;
import dev.livesae.monitor.TelemetryListener;

/**
 * The real monitor service in a child JVM for {@link ExactlyOnceFaultTest}, with static group membership and a
 * short session so a SIGKILLed instance's tasks move to its successor in seconds, not after the default 45 s.
 * Runs until killed; prints its HTTP port.
 * Arguments: bootstrap, codes topic (or {@code pattern:<regex>}), application id, state dir, window tokens, and
 * optionally an instance name (default "instance"; instances of one application need different names).
 */
public final class MonitorChild {
    private MonitorChild() {
    }

    public static void main(String[] args) throws Exception {
        MonitorCommand.quietKafkaLogs();
        boolean pattern = args[1].startsWith("pattern:");
        MonitorOptions o = MonitorOptions.forTopics(args[0], List.of(args[1])).withWindowTokens(Integer.parseInt(args[4]))
                .withApplicationId(args[2]).withMetrics("127.0.0.1", 0);
        o = new MonitorOptions(o.bootstrap(), pattern ? List.of() : o.topics(), pattern ? args[1].substring("pattern:".length()) : null,
                o.windowTokens(), o.baselineTokens(),
                o.deadHorizonTokens(), o.denseThreshold(), o.topN(), o.baselineFile(), Path.of(args[3]),
                o.applicationId(), o.metricsHost(), o.metricsPort(), o.kafkaProperties());
        String instance = args.length > 5 ? args[5] : "instance";
        MonitorService service = MonitorService.start(o, Map.of(
                StreamsConfig.consumerPrefix("session.timeout.ms"), 6000,
                StreamsConfig.consumerPrefix("group.instance.id"), args[2] + "-" + instance, // static: takes over at once
                StreamsConfig.consumerPrefix("heartbeat.interval.ms"), 1000,
                StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200), TelemetryListener.NONE);
        System.out.println("monitor child started, state " + service.state() + ", http port " + service.httpPort());
        Thread.sleep(Long.MAX_VALUE);
    }
}
