package dev.livesae.trainer;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Codes and dead letters exactly once for {@code read_committed} consumers (docs/trainer.md, "Exactly-once
 * outputs"). Every output goes through one transactional producer; a transaction commits together with the
 * consumer group's offsets, which therefore mark the <em>output high-water mark</em> {@code H}: the outputs of
 * every record before {@code H[p]} are committed, those of no record at or after it are. A checkpoint is written
 * only after a commit that covers it ({@code checkpoint offsets <= H}), so a trainer restarted from its
 * checkpoint re-consumes (and re-trains, bit-identically) the records in {@code [checkpoint, H)} without
 * publishing their outputs again, and publishes the outputs of every record from {@code H} on.
 *
 * <p>The transactional id is fixed per trainer (its consumer group), so a restarted trainer fences its
 * predecessor and aborts whatever that one left open. Owned by the training thread; sends may come from the
 * code encoder's thread as long as the training thread waits for them before {@link #commit}.
 */
final class OutputTransactions {
    private static final Logger log = LoggerFactory.getLogger(OutputTransactions.class);

    /** Offset metadata of a commit that holds the final drain's outputs. */
    static final String DRAINED = "livesae:drained";

    private final Producer<byte[], byte[]> producer;
    private final String topic;
    private final ConsumerGroupMetadata group;
    private final Map<Integer, Long> highWater = new TreeMap<>();
    private Map<Integer, Long> lastCommitted = Map.of();
    private boolean drainCommitted;
    private boolean open;
    private long commits;
    private long lastCommitNanos = System.nanoTime();

    OutputTransactions(Producer<byte[], byte[]> producer, String topic, String groupId) {
        this.producer = producer;
        this.topic = topic;
        this.group = new ConsumerGroupMetadata(groupId);
    }

    /**
     * Fences any earlier producer with the same transactional id and aborts its open transaction (retried
     * while the broker cannot be reached, until {@code stopRequested}). False if stopped first.
     */
    boolean init(BooleanSupplier stopRequested) {
        while (true) {
            try {
                producer.initTransactions();
                break;
            } catch (TimeoutException e) {
                if (stopRequested.getAsBoolean()) {
                    return false;
                }
                log.warn("cannot reach the transaction coordinator yet: {}", e.toString());
            }
        }
        return true;
    }

    /** Opens a transaction unless one is open: call before sending (or submitting for sending) any output. */
    void open() {
        if (!open) {
            producer.beginTransaction();
            open = true;
        }
    }

    /**
     * The group's committed offsets at start, read after {@link #begin} (so a transaction left open by a
     * killed predecessor is already resolved): the output high-water mark.
     */
    void resume(Map<TopicPartition, OffsetAndMetadata> committed) {
        committed.forEach((tp, om) -> {
            if (om != null) {
                highWater.put(tp.partition(), om.offset());
                drainCommitted |= DRAINED.equals(om.metadata());
            }
        });
        lastCommitted = Map.copyOf(highWater);
    }

    /** True if the outputs of this record are already committed: it is being re-consumed after a restart. */
    boolean published(int partition, long offset) {
        Long h = highWater.get(partition);
        return h != null && offset < h;
    }

    /**
     * True if the outputs of the final drain (the buffered rows trained after {@code --max-tokens}) at these
     * offsets are already committed: a restart reached the same drain again.
     */
    boolean drainPublished(Map<Integer, Long> offsets) {
        return drainCommitted && offsets.equals(highWater);
    }

    /** The output high-water mark per partition. */
    Map<Integer, Long> highWater() {
        return Map.copyOf(highWater);
    }

    /** True when {@code everyNanos} passed since the last commit and there is something new to commit. */
    boolean due(long everyNanos, Map<Integer, Long> offsets) {
        return System.nanoTime() - lastCommitNanos >= everyNanos && (open || !mark(offsets).equals(lastCommitted));
    }

    /**
     * The offsets to commit: the consumed offsets, but never below the high-water mark. While records below it
     * are re-consumed, committing their (lower) offsets would move the mark back, and a crash then would
     * publish their outputs a second time.
     */
    private Map<Integer, Long> mark(Map<Integer, Long> offsets) {
        Map<Integer, Long> mark = new TreeMap<>(highWater);
        offsets.forEach((p, o) -> mark.merge(p, o, Math::max));
        return mark;
    }

    /**
     * Commits every output sent so far together with {@code consumed} (the next record to read per partition:
     * every record before it has its outputs sent; raised to the high-water mark where it is below). The caller must have
     * waited until every output of those records was handed to the producer. {@code drained}: the outputs of
     * the final drain are in this transaction (recorded in the offsets' metadata). If a send failed, the commit
     * fails: the transaction is aborted and {@link OutputFailedException} thrown; no checkpoint may follow.
     */
    void commit(Map<Integer, Long> consumed, boolean drained) {
        Map<Integer, Long> offsets = mark(consumed);
        if (!open && offsets.equals(lastCommitted) && !drained) {
            return; // nothing sent, nothing consumed since the last commit
        }
        open();
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
        String metadata = drained ? DRAINED : "";
        offsets.forEach((p, o) -> commit.put(new TopicPartition(topic, p), new OffsetAndMetadata(o, metadata)));
        try {
            if (!commit.isEmpty()) {
                producer.sendOffsetsToTransaction(commit, group);
            }
            producer.commitTransaction();
        } catch (ProducerFencedException e) {
            open = false;
            throw new OutputFailedException("another trainer with transactional id of group " + group.groupId()
                    + " took over; this one stops without committing", e);
        } catch (KafkaException e) {
            open = false;
            try {
                producer.abortTransaction();
            } catch (KafkaException abortFailed) {
                e.addSuppressed(abortFailed);
            }
            throw new OutputFailedException("outputs could not be committed (aborted; offsets stay at " + lastCommitted
                    + ")", e);
        }
        highWater.putAll(offsets);
        lastCommitted = Map.copyOf(offsets);
        lastCommitNanos = System.nanoTime();
        commits++;
        open = false; // the next output opens the next transaction; none is left open at shutdown
    }

    long commits() {
        return commits;
    }

    /** Outputs could not be committed: the trainer stops so a restart re-reads from the last checkpoint. */
    static final class OutputFailedException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        OutputFailedException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
