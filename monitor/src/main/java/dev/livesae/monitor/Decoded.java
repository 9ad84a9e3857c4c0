package dev.livesae.monitor;

import dev.livesae.wire.CodeBatch;
import dev.livesae.wire.RejectReason;

/** A code record after decoding inside the topology: a valid batch, or the raw record and why it was rejected. */
sealed interface Decoded {

    record Ok(CodeBatch batch) implements Decoded {
    }

    record Rejected(byte[] key, byte[] value, RejectReason reason, String detail) implements Decoded {
    }
}
