package dev.livesae.sources;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.livesae.clients.KafkaClientConfig;
import dev.livesae.clients.TopicAdmin;
import dev.livesae.clients.TopicSettings;
import dev.livesae.sources.model.TextTokenizer;
import dev.livesae.wire.Topics;
import dev.livesae.wire.Vocabulary;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes a model's tokenizer vocabulary once to the compacted topic {@code vocab.<model>} (key: the model name),
 * creating the topic if missing, so readers of code batches can show token text without the model.
 */
public final class VocabularyPublisher {
    private static final Logger LOG = LoggerFactory.getLogger(VocabularyPublisher.class);
    /** A vocabulary of 260k tokens is about 3 MB; the topic accepts records up to this size. */
    static final int MAX_MESSAGE_BYTES = 16 << 20;

    private VocabularyPublisher() {
    }

    /** The tokenizer vocabulary of a loaded model ({@code ""} for an id the tokenizer has no text for). */
    public static Vocabulary of(String model, TextTokenizer tokenizer) {
        List<String> tokens = new ArrayList<>(tokenizer.vocabularySize());
        for (int id = 0; id < tokenizer.vocabularySize(); id++) {
            String t;
            try {
                t = tokenizer.token(id);
            } catch (IllegalArgumentException hole) {
                t = "";
            }
            tokens.add(t);
        }
        return new Vocabulary(model, tokens);
    }

    /**
     * Creates {@code vocab.<model>} (compacted) if missing and writes {@code vocabulary} to it, waiting for the
     * broker's acknowledgement.
     *
     * @return the topic written
     */
    public static String publish(KafkaClientConfig kafka, TopicSettings settings, Vocabulary vocabulary) {
        String topic = Topics.vocab(vocabulary.model());
        TopicAdmin.createTopics(kafka, List.of(topic), settings, Map.of("cleanup.policy", "compact",
                "max.message.bytes", Integer.toString(MAX_MESSAGE_BYTES)));
        Map<String, Object> config = kafka.client("vocabulary publisher", "livesae-vocab-" + Topics.sanitize(vocabulary.model()),
                Map.of(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd"),
                Map.of(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, MAX_MESSAGE_BYTES,
                        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName(),
                        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName()));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config)) {
            producer.send(new ProducerRecord<>(topic, vocabulary.model().getBytes(StandardCharsets.UTF_8), vocabulary.encode()))
                    .get(60, TimeUnit.SECONDS);
            LOG.info("published the vocabulary of {} ({} tokens) to {}", vocabulary.model(), vocabulary.size(), topic);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot write the vocabulary to " + topic + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("the broker did not acknowledge the vocabulary on " + topic + " within 60 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while publishing the vocabulary to " + topic, e);
        }
        return topic;
    }
}
