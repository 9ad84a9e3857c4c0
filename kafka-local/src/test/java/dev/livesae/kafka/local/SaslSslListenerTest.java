package dev.livesae.kafka.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The SASL_SSL listener: SCRAM users from format time, TLS from keytool, ACLs from the StandardAuthorizer. */
class SaslSslListenerTest {
    static EmbeddedKafkaBroker broker;

    @BeforeAll
    static void start() {
        broker = EmbeddedKafkaBroker.start(BrokerOptions.defaults().withSaslSsl(new SaslSslListener(0,
                Map.of("admin", "admin-secret", "alice", "alice-secret", "mallory", "mallory-secret"), Set.of("admin"))));
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    private static Map<String, Object> client(Map<String, String> props) {
        Map<String, Object> c = new HashMap<>(props);
        c.put("bootstrap.servers", broker.saslBootstrapServers());
        c.put("default.api.timeout.ms", 20_000);
        c.put("request.timeout.ms", 20_000);
        return c;
    }

    @Test
    void aScramUserCreatedAtFormatTimeConnectsOverTls() throws Exception {
        try (Admin admin = Admin.create(client(broker.saslClientProperties("alice")))) {
            assertThat(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS)).hasSize(1);
        }
    }

    @Test
    void aWrongPasswordIsAnAuthenticationFailure() {
        try (Admin admin = Admin.create(client(broker.saslClientProperties("alice", "not-her-password")))) {
            assertThatThrownBy(() -> admin.describeCluster().nodes().get(30, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class).cause().isInstanceOf(SaslAuthenticationException.class);
        }
    }

    @Test
    void aDenyWriteAclStopsOnlyThatUsersSendsToThatTopic() throws Exception {
        broker.createTopic("acl.denied", 1);
        broker.denyTopicOperation("acl.denied", "mallory", AclOperation.WRITE);
        Map<String, Object> p = client(broker.saslClientProperties("mallory"));
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 20_000);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("acl.denied", "x")).get(40, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class).cause().isInstanceOf(TopicAuthorizationException.class);
        }
        Map<String, Object> a = client(broker.saslClientProperties("alice"));
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(a, new StringSerializer(), new StringSerializer())) {
            assertThat(producer.send(new ProducerRecord<>("acl.denied", "x")).get(40, TimeUnit.SECONDS).offset()).isGreaterThanOrEqualTo(0);
        }
    }

    @Test
    void theSaslAddressAndUsersSurviveARestart() throws Exception {
        String before = broker.saslBootstrapServers();
        broker.restart();
        assertThat(broker.saslBootstrapServers()).isEqualTo(before);
        try (Admin admin = Admin.create(client(broker.saslClientProperties("admin")))) {
            assertThat(admin.describeAcls(org.apache.kafka.common.acl.AclBindingFilter.ANY).values().get(30, TimeUnit.SECONDS)).isNotNull();
        }
    }

    @Test
    void listenerOptionsAreValidated() {
        assertThatThrownBy(() -> new SaslSslListener(0, Map.of(), Set.of())).hasMessageContaining("users");
        assertThatThrownBy(() -> new SaslSslListener(0, Map.of("a b", "pw"), Set.of())).hasMessageContaining("a b");
        assertThatThrownBy(() -> new SaslSslListener(0, Map.of("a", "p\"w"), Set.of())).hasMessageContaining("password of user a");
        assertThatThrownBy(() -> new SaslSslListener(0, Map.of("a", "pw"), Set.of("b"))).hasMessageContaining("super user b");
        assertThatThrownBy(() -> BrokerOptions.defaults().withOverride("super.users", "User:x")).hasMessageContaining("super.users");
        assertThatThrownBy(() -> EmbeddedKafkaBroker.start(BrokerOptions.defaults()).saslBootstrapServers())
                .isInstanceOf(IllegalStateException.class);
        assertThat(List.of(Duration.ZERO)).isNotEmpty();
    }
}
