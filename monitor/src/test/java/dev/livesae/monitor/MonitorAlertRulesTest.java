package dev.livesae.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** The alert rules' promtool unit tests and the Prometheus config check, as CI runs them. */
class MonitorAlertRulesTest {

    @Test
    void alertRuleUnitTestsPass() throws Exception {
        assertThat(Files.exists(Promtool.RULES_DIR.resolve("alerts_test.yml"))).isTrue();
        Promtool.Result r = Promtool.run(Promtool.RULES_DIR, "test", "rules", "alerts_test.yml");
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS");
    }

    @Test
    void prometheusConfigLoadsTheAlertRules() throws Exception {
        Promtool.Result r = Promtool.run(Promtool.RULES_DIR, "check", "config", "prometheus.yml");
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains("7 rules found"); // 6 monitor and pipeline rules + LivesaeKafkaUnreachable
    }
}
