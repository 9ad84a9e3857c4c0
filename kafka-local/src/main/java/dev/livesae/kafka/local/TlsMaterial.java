package dev.livesae.kafka.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away self-signed broker certificate for {@code 127.0.0.1} and {@code localhost} (subject alternative
 * names, so clients keep Kafka's default hostname verification) that is also its own CA, and a truststore
 * holding it: everything a TLS listener and its clients need. Made with the JDK's own {@code keytool}
 * ({@code $JAVA_HOME/bin/keytool}), PKCS12 stores, RSA 2048, valid ten years.
 *
 * <p>Files in {@code dir}: {@code broker.keystore.p12} (key and certificate), {@code ca.pem} (the certificate,
 * for non-Java clients), {@code truststore.p12}. One random password protects every
 * store and key; it is also written to {@code dir/password} (mode of the directory) so a broker restarted
 * from a persistent data directory finds its stores again.
 *
 * @param dir        where the files are
 * @param keystore   the broker's keystore (its key and the certificate chain)
 * @param truststore the truststore for clients (the CA certificate)
 * @param password   the password of both stores and the broker key
 */
public record TlsMaterial(Path dir, Path keystore, Path truststore, String password) {

    public static final String STORE_TYPE = "PKCS12";
    private static final long KEYTOOL_TIMEOUT_SECONDS = 120;

    public TlsMaterial {
        if (dir == null || keystore == null || truststore == null) {
            throw new IllegalArgumentException("dir, keystore and truststore must not be null");
        }
        if (password == null || password.length() < 6) {
            throw new IllegalArgumentException("password must have at least 6 characters (PKCS12 keytool minimum)");
        }
    }

    /** The material in {@code dir}, made now unless a previous call already left it there. */
    public static TlsMaterial inDirectory(Path dir) {
        try {
            Files.createDirectories(dir);
            Path passwordFile = dir.resolve("password");
            Path keystore = dir.resolve("broker.keystore.p12");
            Path truststore = dir.resolve("truststore.p12");
            if (Files.isRegularFile(passwordFile) && Files.isRegularFile(keystore) && Files.isRegularFile(truststore)) {
                return new TlsMaterial(dir, keystore, truststore, Files.readString(passwordFile, StandardCharsets.UTF_8).trim());
            }
            byte[] random = new byte[12];
            new SecureRandom().nextBytes(random);
            String password = HexFormat.of().formatHex(random);
            for (Path old : List.of(keystore, truststore, dir.resolve("ca.pem"))) {
                Files.deleteIfExists(old);
            }
            // one self-signed certificate that is its own CA (bc:c): three keytool runs instead of eight for a CA chain
            keytool(dir, "-genkeypair", "-alias", "broker", "-keyalg", "RSA", "-keysize", "2048", "-validity", "3650",
                    "-dname", "CN=localhost, O=livesae local broker", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-ext", "bc:c",
                    "-keystore", keystore.toString(), "-storetype", STORE_TYPE, "-storepass", password, "-keypass", password);
            keytool(dir, "-exportcert", "-rfc", "-alias", "broker", "-keystore", keystore.toString(), "-storepass", password,
                    "-file", dir.resolve("ca.pem").toString());
            keytool(dir, "-importcert", "-noprompt", "-alias", "livesae-local-ca", "-file", dir.resolve("ca.pem").toString(),
                    "-keystore", truststore.toString(), "-storetype", STORE_TYPE, "-storepass", password);
            Files.writeString(passwordFile, password + "\n", StandardCharsets.UTF_8);
            return new TlsMaterial(dir, keystore, truststore, password);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write TLS material in " + dir, e);
        }
    }

    /** {@code $JAVA_HOME/bin/keytool} of the running JVM. */
    static Path keytoolPath() {
        Path p = Path.of(System.getProperty("java.home"), "bin", isWindows() ? "keytool.exe" : "keytool");
        if (!Files.isExecutable(p)) {
            throw new IllegalStateException("keytool not found at " + p + " (needs a full JDK or JRE with bin/keytool)");
        }
        return p;
    }

    private static boolean isWindows() {
        return System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).startsWith("windows");
    }

    private static void keytool(Path dir, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(keytoolPath().toString());
        command.add("-J-XX:TieredStopAtLevel=1"); // a short-lived JVM: start fast
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        try {
            p.getOutputStream().close();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(KEYTOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("keytool " + args[0] + " did not finish within " + KEYTOOL_TIMEOUT_SECONDS + " s");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("keytool " + args[0] + " failed (exit " + p.exitValue() + "): " + output.strip());
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running keytool " + args[0], e);
        }
    }
}
