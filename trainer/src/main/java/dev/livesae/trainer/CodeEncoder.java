package dev.livesae.trainer;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.livesae.engine.Sae;
import dev.livesae.engine.TopKCodes;
import dev.livesae.wire.ActivationBatch;
import dev.livesae.wire.CodeBatch;
import dev.livesae.wire.CodeBatchCodec;
import dev.livesae.wire.CodeMeta;

/**
 * Encodes consumed activation batches with a promoted {@link Dictionary} on its own thread (so encoding
 * overlaps training) and publishes each as one {@link CodeBatch} record to the codes topic. Submission
 * blocks when {@code capacity} batches are waiting (back-pressure instead of unbounded memory).
 */
final class CodeEncoder implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CodeEncoder.class);

    private record Job(ActivationBatch batch, byte[] key, Dictionary dictionary) { }

    private static final Job POISON = new Job(null, null, null);

    private final Producer<byte[], byte[]> producer;
    private final String topic;
    private final Runnable onPublished;
    private final CodeBatchCodec codec;
    private final BlockingQueue<Job> queue;
    private final Thread thread;
    private final Object lock = new Object();
    private long submitted;
    private long done;
    private volatile Throwable failure;

    CodeEncoder(Producer<byte[], byte[]> producer, String topic, BufferAllocator allocator, int capacity,
                Runnable onPublished) {
        this.producer = producer;
        this.topic = topic;
        this.onPublished = onPublished;
        this.codec = new CodeBatchCodec(allocator);
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.thread = new Thread(this::loop, "livesae-code-encoder");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** Queues a batch; blocks while the queue is full. */
    void submit(ActivationBatch batch, byte[] key, Dictionary dictionary) throws InterruptedException {
        rethrow();
        synchronized (lock) {
            submitted++;
        }
        queue.put(new Job(batch, key, dictionary));
    }

    /** Waits until every submitted batch has been handed to the producer, then flushes the producer. */
    void awaitIdle() throws InterruptedException {
        synchronized (lock) {
            while (done < submitted && failure == null) {
                lock.wait(100);
            }
        }
        rethrow();
        producer.flush();
    }

    private void rethrow() {
        Throwable f = failure;
        if (f != null) {
            throw new IllegalStateException("code encoder failed", f);
        }
    }

    private void loop() {
        try {
            while (true) {
                Job job = queue.take();
                if (job == POISON) {
                    return;
                }
                try {
                    publish(job);
                } finally {
                    synchronized (lock) {
                        done++;
                        lock.notifyAll();
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            log.error("code encoder stopped", e);
            failure = e;
            synchronized (lock) {
                lock.notifyAll();
            }
        }
    }

    private void publish(Job job) {
        CodeBatch codes = encode(job.batch, job.dictionary);
        producer.send(new ProducerRecord<>(topic, null, job.key, codec.encode(codes)), (md, e) -> {
            if (e != null) {
                log.error("could not publish codes to {}", topic, e);
            }
        });
        onPublished.run();
    }

    /** The codes of {@code batch} under {@code dictionary}, with its version and sae id. */
    static CodeBatch encode(ActivationBatch batch, Dictionary dictionary) {
        Sae sae = dictionary.sae();
        TopKCodes c = sae.encode(batch.activations(), batch.rows());
        CodeMeta meta = new CodeMeta(dictionary.saeId(), dictionary.version(), batch.meta().model(),
                batch.meta().hookpoint(), sae.dIn(), sae.dSae(), sae.k());
        return new CodeBatch(meta, batch.sequenceIds(), batch.positions(), batch.tokenIds(), c.indices(), c.values(),
                c.reconError(), c.centeredSqNorm());
    }

    @Override
    public void close() throws InterruptedException {
        if (thread.isAlive() && !queue.offer(POISON, 30, TimeUnit.SECONDS)) {
            thread.interrupt();
        }
        thread.join(60_000);
        codec.close();
    }
}
