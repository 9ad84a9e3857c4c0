package dev.livesae.kafka.local;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * An optional second client listener of the {@link EmbeddedKafkaBroker}: {@code SASL_SSL} with SCRAM-SHA-512
 * users created when storage is formatted, TLS from a keytool-made CA ({@link TlsMaterial}), and Kafka's
 * {@code StandardAuthorizer} with {@code allow.everyone.if.no.acl.found=true}: every authenticated user may do
 * everything until an ACL says otherwise (see {@link EmbeddedKafkaBroker#denyTopicOperation}).
 * The PLAINTEXT and CONTROLLER listeners stay; their principal {@code User:ANONYMOUS} is a super user, so
 * the broker's own admin client, the controller and plain test clients are never denied.
 *
 * @param port       SASL_SSL port on 127.0.0.1; 0 = any free port
 * @param users      SCRAM-SHA-512 users, name to password; at least one
 * @param superUsers user names that ACLs never deny (besides {@code ANONYMOUS}); each must be in {@code users}
 */
public record SaslSslListener(int port, Map<String, String> users, Set<String> superUsers) {

    public static final String LISTENER = "SASL_SSL";
    public static final String MECHANISM = "SCRAM-SHA-512";
    /** Names the SCRAM format argument and the ACL principal can carry without quoting. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    public SaslSslListener {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in 0..65535 (got " + port + ")");
        }
        if (users == null || users.isEmpty()) {
            throw new IllegalArgumentException("users must name at least one SCRAM user");
        }
        for (Map.Entry<String, String> u : users.entrySet()) {
            if (u.getKey() == null || !NAME.matcher(u.getKey()).matches()) {
                throw new IllegalArgumentException("user name must match " + NAME.pattern() + " (got '" + u.getKey() + "')");
            }
            String pw = u.getValue();
            if (pw == null || pw.isEmpty() || pw.length() > 256 || pw.chars().anyMatch(c -> c == '"' || c == '\\' || c < 0x20)) {
                throw new IllegalArgumentException("password of user " + u.getKey()
                        + " must be 1..256 printable characters without '\"' or '\\'");
            }
        }
        if (superUsers == null) {
            throw new IllegalArgumentException("superUsers must not be null (use Set.of())");
        }
        for (String s : superUsers) {
            if (!users.containsKey(s)) {
                throw new IllegalArgumentException("super user " + s + " is not one of the users " + users.keySet());
            }
        }
        users = Map.copyOf(new LinkedHashMap<>(users));
        superUsers = Set.copyOf(superUsers);
    }

    /** The storage tool's {@code --add-scram} argument for each user (the passwords are hashed at format time). */
    java.util.List<String> scramArguments() {
        return users.entrySet().stream()
                .map(u -> MECHANISM + "=[name=" + u.getKey() + ",password=\"" + u.getValue() + "\"]")
                .toList();
    }
}
