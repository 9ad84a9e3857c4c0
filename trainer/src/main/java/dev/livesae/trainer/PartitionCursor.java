package dev.livesae.trainer;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.livesae.trainer.checkpoint.TrainerState;
import dev.livesae.trainer.checkpoint.TrainerState.SkippedRange;

/**
 * Where the trainer reads: every partition of the activation topic assigned (no group rebalancing: one trainer
 * per topic), each seeked to its checkpointed (or committed, or start) offset; the next offset to read per
 * partition; the lag behind the end of the topic and the {@code --catch-up latest} skips it triggers.
 * Owned by the training thread.
 */
final class PartitionCursor {
    private static final Logger log = LoggerFactory.getLogger(PartitionCursor.class);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final long LAG_CHECK_NANOS = 500_000_000L;

    private final Consumer<byte[], byte[]> consumer;
    private final TrainerOptions opts;
    private List<TopicPartition> partitions = List.of();
    private final Map<Integer, Long> offsets = new TreeMap<>();
    private long skippedRecords;
    private final Deque<SkippedRange> skippedRanges = new ArrayDeque<>();
    private long lag = -1;
    private long lastLagCheck;

    PartitionCursor(Consumer<byte[], byte[]> consumer, TrainerOptions opts) {
        this.consumer = consumer;
        this.opts = opts;
    }

    /** Resumes the checkpoint's positions and catch-up record (before {@link #assign}). */
    void restore(Map<Integer, Long> checkpointOffsets, long skipped, Collection<SkippedRange> ranges) {
        offsets.putAll(checkpointOffsets);
        skippedRecords = skipped;
        skippedRanges.addAll(ranges);
    }

    /**
     * Assigns every partition of the topic and seeks each to its restored offset, else (when
     * {@code fromCommitted}) to the group's committed offset, else to {@code --start}. Waits for the topic to
     * exist; false if {@code stopRequested} turned true first.
     */
    boolean assign(BooleanSupplier stopRequested, boolean fromCommitted) throws InterruptedException {
        List<PartitionInfo> infos = List.of();
        long warnAt = System.nanoTime();
        while (!stopRequested.getAsBoolean()) {
            try {
                infos = consumer.partitionsFor(opts.topic(), Duration.ofSeconds(5));
            } catch (KafkaException e) {
                log.debug("partitionsFor {}: {}", opts.topic(), e.toString());
                infos = List.of();
            }
            if (infos != null && !infos.isEmpty()) {
                break;
            }
            if (System.nanoTime() - warnAt > 0) {
                log.info("waiting for topic {} to exist", opts.topic());
                warnAt = System.nanoTime() + 30_000_000_000L;
            }
            Thread.sleep(500);
        }
        if (stopRequested.getAsBoolean()) {
            return false;
        }
        List<TopicPartition> tps = new ArrayList<>();
        for (PartitionInfo pi : infos) {
            tps.add(new TopicPartition(pi.topic(), pi.partition()));
        }
        tps.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
        partitions = List.copyOf(tps);
        consumer.assign(partitions);
        Map<TopicPartition, OffsetAndMetadata> known = fromCommitted ? committed() : Map.of();
        List<TopicPartition> fresh = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            Long at = offsets.get(tp.partition());
            if (at == null && known.get(tp) != null) {
                at = known.get(tp).offset();
                offsets.put(tp.partition(), at);
            }
            if (at != null) {
                consumer.seek(tp, at);
            } else {
                fresh.add(tp);
            }
        }
        if (!fresh.isEmpty()) {
            Map<TopicPartition, Long> start = opts.start() == StartPosition.EARLIEST
                    ? consumer.beginningOffsets(fresh, Duration.ofSeconds(10))
                    : consumer.endOffsets(fresh, Duration.ofSeconds(10));
            for (TopicPartition tp : fresh) {
                long at = start.get(tp);
                consumer.seek(tp, at);
                offsets.put(tp.partition(), at);
            }
        }
        log.info("consuming {} partitions of {} from offsets {}", partitions.size(), opts.topic(), offsets);
        return true;
    }

    /** The group's committed offsets of every partition of the topic (the consumer must be assigned). */
    Map<TopicPartition, OffsetAndMetadata> committed() {
        return consumer.committed(new HashSet<>(partitions), Duration.ofSeconds(10));
    }

    ConsumerRecords<byte[], byte[]> poll() {
        return consumer.poll(POLL);
    }

    /** Marks {@code rec} as fully consumed: the next offset to read on its partition is the one after it. */
    void consumed(ConsumerRecord<byte[], byte[]> rec) {
        offsets.put(rec.partition(), rec.offset() + 1);
    }

    /**
     * Updates the lag (at most every 500 ms unless {@code force}); under {@code --catch-up latest} skips
     * ahead when it exceeds {@code --max-lag} (never when forced). Returns the records skipped, or -1 when no
     * check was made (too soon, or the end offsets could not be read).
     */
    long checkLag(boolean force, long trainedTokens) {
        long now = System.nanoTime();
        if (!force && now - lastLagCheck < LAG_CHECK_NANOS) {
            return -1;
        }
        lastLagCheck = now;
        Map<TopicPartition, Long> ends;
        try {
            ends = consumer.endOffsets(partitions, Duration.ofSeconds(5));
        } catch (KafkaException e) {
            log.debug("endOffsets: {}", e.toString());
            return -1;
        }
        long total = 0;
        for (TopicPartition tp : partitions) {
            total += Math.max(0, ends.getOrDefault(tp, 0L) - offsets.getOrDefault(tp.partition(), 0L));
        }
        lag = total;
        long skipped = 0;
        if (!force && opts.catchUp() == CatchUpPolicy.LATEST && total > opts.maxLag()) {
            long keepPerPartition = opts.maxLag() / (2L * partitions.size());
            List<SkippedRange> ranges = new ArrayList<>();
            for (TopicPartition tp : partitions) {
                long from = offsets.getOrDefault(tp.partition(), 0L);
                long to = Math.max(from, ends.getOrDefault(tp, 0L) - keepPerPartition);
                if (to > from) {
                    consumer.seek(tp, to);
                    offsets.put(tp.partition(), to);
                    ranges.add(new SkippedRange(tp.partition(), from, to, trainedTokens, System.currentTimeMillis()));
                    skipped += to - from;
                }
            }
            for (SkippedRange r : ranges) {
                skippedRanges.addLast(r);
                while (skippedRanges.size() > TrainerState.MAX_RANGES) {
                    skippedRanges.removeFirst();
                }
            }
            skippedRecords += skipped;
            log.warn("lag {} records > --max-lag {}: --catch-up latest skipped {} records {}", total, opts.maxLag(),
                    skipped, ranges);
            lag = total - skipped;
        }
        return skipped;
    }

    List<TopicPartition> partitions() { return partitions; }
    /** Next offset to read per partition: every record before it was fully consumed. */
    Map<Integer, Long> offsets() { return offsets; }
    /** Records behind the end of the topic, summed over partitions; -1 before the first check. */
    long lag() { return lag; }
    long skippedRecords() { return skippedRecords; }
    List<SkippedRange> skippedRanges() { return List.copyOf(skippedRanges); }
}
