package dev.livesae.wire;

import org.apache.kafka.common.errors.SerializationException;

/** A record that violates the wire contract; {@link #reason()} says which rule, {@link #detail()} how. */
public final class WireFormatException extends SerializationException {
    private static final long serialVersionUID = 1L;

    private final RejectReason reason;
    private final String detail;

    public WireFormatException(RejectReason reason, String detail) {
        this(reason, detail, null);
    }

    public WireFormatException(RejectReason reason, String detail, Throwable cause) {
        super(reason + ": " + detail, cause);
        this.reason = reason;
        this.detail = detail;
    }

    public RejectReason reason() {
        return reason;
    }

    public String detail() {
        return detail;
    }
}
