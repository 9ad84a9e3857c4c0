package dev.livesae.service;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;

import com.sun.net.httpserver.HttpExchange;

/**
 * Credentials an HTTP route requires: a bearer token ({@code Authorization: Bearer <token>}) or basic-auth user and
 * password. They are read from a file ({@code --http-credentials-file}) or the environment variable
 * {@value #ENV}, never from a flag value, which would show in {@code ps}. The text is one line:
 * {@code bearer <token>} or {@code basic <user>:<password>}.
 */
public final class HttpAuth {
    /** Environment variable holding the credentials line when no file is given. */
    public static final String ENV = "LIVESAE_HTTP_CREDENTIALS";
    /** The flag naming a credentials file. */
    public static final String FILE_FLAG = "--http-credentials-file";
    private static final int MIN_SECRET = 8;

    private final String scheme;
    private final byte[] expected;

    private HttpAuth(String scheme, String secret) {
        this.scheme = scheme;
        this.expected = secret.getBytes(StandardCharsets.UTF_8);
    }

    /** Parses a credentials line; the message names {@code source}, never the secret. */
    public static HttpAuth parse(String line, String source) {
        String t = line == null ? "" : line.strip();
        int sp = t.indexOf(' ');
        String kind = sp < 0 ? t.toLowerCase(Locale.ROOT) : t.substring(0, sp).toLowerCase(Locale.ROOT);
        String secret = sp < 0 ? "" : t.substring(sp + 1).strip();
        switch (kind) {
            case "bearer" -> {
                if (secret.length() < MIN_SECRET || secret.chars().anyMatch(Character::isWhitespace)) {
                    throw new IllegalArgumentException(source + ": a bearer token must be at least " + MIN_SECRET
                            + " characters without spaces");
                }
                return new HttpAuth("Bearer", secret);
            }
            case "basic" -> {
                int colon = secret.indexOf(':');
                if (colon < 1 || secret.length() - colon - 1 < MIN_SECRET) {
                    throw new IllegalArgumentException(source + ": basic credentials must be user:password with a password of at least "
                            + MIN_SECRET + " characters");
                }
                return new HttpAuth("Basic", Base64.getEncoder().encodeToString(secret.getBytes(StandardCharsets.UTF_8)));
            }
            default -> throw new IllegalArgumentException(source + " must hold one line 'bearer <token>' or 'basic <user>:<password>'");
        }
    }

    /**
     * The credentials from {@code file} if given, else from {@value #ENV} in {@code env}, else null.
     *
     * @throws IllegalArgumentException naming {@value #FILE_FLAG} or {@value #ENV} when unreadable or malformed
     */
    public static HttpAuth load(Path file, Map<String, String> env) {
        if (file != null) {
            try {
                return parse(Files.readString(file, StandardCharsets.UTF_8), FILE_FLAG + " " + file);
            } catch (IOException e) {
                throw new IllegalArgumentException(FILE_FLAG + " must be a readable file (got " + file + ": " + e.getMessage() + ")");
            } catch (UncheckedIOException e) {
                throw new IllegalArgumentException(FILE_FLAG + " " + file + " is not UTF-8 text");
            }
        }
        String line = env.get(ENV);
        return line == null || line.isBlank() ? null : parse(line, "environment variable " + ENV);
    }

    /** Whether {@code host} names a loopback address (127.0.0.0/8, ::1, localhost); an unresolvable name is not. */
    public static boolean isLoopback(String host) {
        try {
            for (InetAddress a : InetAddress.getAllByName(host)) {
                if (!a.isLoopbackAddress()) {
                    return false;
                }
            }
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** "Bearer" or "Basic". */
    public String scheme() {
        return scheme;
    }

    /** Whether the request carries these credentials (constant-time comparison). */
    public boolean admits(HttpExchange ex) {
        String header = ex.getRequestHeaders().getFirst("Authorization");
        if (header == null || !header.regionMatches(true, 0, scheme + " ", 0, scheme.length() + 1)) {
            return false;
        }
        byte[] given = header.substring(scheme.length() + 1).strip().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, expected);
    }

    @Override
    public String toString() {
        return scheme + " ****";
    }
}
