package dev.livesae.clients;

/**
 * The cluster could not be used, for a reason a person can act on: its message is one line that names the
 * bootstrap address and what failed, and commands print it without a stack trace.
 */
public final class KafkaUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What failed, in the order a connection attempt meets them. */
    public enum Failure {
        /** nothing answered at the bootstrap address (refused, unresolvable, timed out) */
        CONNECT,
        /** TLS or SASL authentication failed */
        AUTHENTICATION,
        /** authenticated, but an ACL denies an operation */
        AUTHORIZATION,
        /** a topic the command needs does not exist */
        MISSING_TOPIC,
        /** the client configuration itself is wrong (e.g. a bad property value) */
        CONFIGURATION
    }

    private final Failure failure;

    public KafkaUnavailableException(Failure failure, String message, Throwable cause) {
        super(message, cause);
        this.failure = failure;
    }

    public Failure failure() {
        return failure;
    }
}
