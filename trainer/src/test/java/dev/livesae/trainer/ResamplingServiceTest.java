package dev.livesae.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import dev.livesae.engine.Sae;
import dev.livesae.engine.io.Safetensors;
import dev.livesae.kafka.test.KafkaBrokerExtension;
import dev.livesae.trainer.checkpoint.CheckpointStore;
import dev.livesae.wire.ActivationBatchCodec;
import dev.livesae.wire.Topics;
import dev.livesae.wire.WireAllocator;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * Dead-latent resampling through the service on the real broker: a trainer learns synthetic features (labelled
 * synthetic), then the latent that matches each true feature best is killed in its checkpoint (decoder and encoder
 * rows replaced by a random unit vector, encoder bias -1000: it can never fire, so AuxK cannot reach it either).
 * The restarted service resamples them from its reservoir, recovers the features, and counts the resampled latents
 * in {@code livesae_trainer_resampled_latents_total} and in its progress lines.
 */
class ResamplingServiceTest {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    static final int D = 32;
    static final int M = 64;
    static final int N = 256;
    static final int ROWS = 256;
    static final int BEFORE = 1000;  // records trained before the kill: 256,000 tokens
    static final int AFTER = 1000;   // records after it
    static final long DEAD_TOKENS = 40_000;
    static final long RESAMPLE_EVERY = 50_000;

    static TrainerOptions options(String topic, Path dir, long maxTokens) {
        return TrainerOptions.builder(KAFKA.bootstrapServers(), topic).model("synthetic").hookpoint("resample")
                .checkpointDir(dir).dSae(N).k(6).batch(1024).shuffleBuffer(4096)
                .lr(5e-3f).warmupSteps(50).deadTokens(DEAD_TOKENS).seed(5)
                .resampleEvery(RESAMPLE_EVERY).resampleMaxTimes(20)
                .promoteEvery(0).emitCodes(false).maxTokens(maxTokens).metricsPort(-1)
                .progressEvery(Duration.ofMillis(200)).build();
    }

    static void publish(String topic, Synthetic data, int records) {
        try (BufferAllocator alloc = WireAllocator.root().newChildAllocator("resample-test", 0, Long.MAX_VALUE);
             ActivationBatchCodec codec = new ActivationBatchCodec(alloc);
             KafkaProducer<byte[], byte[]> producer = KafkaSupport.producer(KAFKA.bootstrapServers())) {
            for (int i = 0; i < records; i++) {
                producer.send(new ProducerRecord<>(topic, 0, null, codec.encode(data.next(ROWS))));
            }
            producer.flush();
        }
    }

    @Test
    void killedLatentsAreResampledAndTheirFeaturesRecovered(@TempDir Path dir) throws Exception {
        String topic = Topics.activations("synthetic", KafkaSupport.unique("resample"));
        KAFKA.createTopic(topic, 1);
        Synthetic data = new Synthetic("synthetic", "resample", D, M, 17L);
        publish(topic, data, BEFORE);
        long before = (long) BEFORE * ROWS;
        TrainerProgress first = new TrainerService(options(topic, dir, before)).run();
        assertThat(first.tokensTrained()).isEqualTo(before);

        CheckpointStore store = new CheckpointStore(dir);
        Path trained = store.latest().orElseThrow();
        Sae learned = Sae.load(trained.resolve(TrainingLoop.ENGINE_DIR));
        double mmcsLearned = data.gen.meanBestCosine(learned);
        Set<Integer> killed = bestMatches(data, learned);
        Path surgery = store.write(CheckpointStore.stepOf(trained), tmp -> {
            copyTree(trained, tmp);
            kill(tmp.resolve(TrainingLoop.ENGINE_DIR), killed, learned.dIn(), learned.dSae());
        });
        double mmcsKilled = data.gen.meanBestCosine(Sae.load(surgery.resolve(TrainingLoop.ENGINE_DIR)));
        System.out.printf("before the kill: mmcs %.4f (%s); killed %d latents: mmcs %.4f%n", mmcsLearned, first.line(),
                killed.size(), mmcsKilled);
        assertThat(mmcsKilled).as("the killed latents held features").isLessThan(mmcsLearned - 0.1);

        publish(topic, data, AFTER);
        long total = (long) (BEFORE + AFTER) * ROWS;
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TrainerService second = new TrainerService(options(topic, dir, total), registry);
        List<String> lines = new CopyOnWriteArrayList<>();
        second.onProgress(p -> lines.add(p.line()));
        TrainerProgress last = second.run();
        assertThat(last.tokensTrained()).isEqualTo(total);

        Path done = second.lastCheckpoint().orElseThrow();
        Sae recovered = Sae.load(done.resolve(TrainingLoop.ENGINE_DIR));
        double mmcs = data.gen.meanBestCosine(recovered);
        long resampledHere = last.resampledLatents() - first.resampledLatents();
        System.out.printf("after resampling: mmcs %.4f recovered %.4f, %d latents resampled in this run (%s)%n", mmcs,
                data.gen.recoveredFraction(recovered, 0.9), resampledHere, last.line());
        assertThat(resampledHere).as("every killed latent was resampled").isGreaterThanOrEqualTo(killed.size());
        float[] bEnc = Safetensors.read(done.resolve(TrainingLoop.ENGINE_DIR).resolve("trainer_state.safetensors"))
                .f32("b_enc", N);
        for (int i : killed) {
            assertThat(bEnc[i]).as("latent %d was re-initialised (b_enc 0, then trained)", i).isGreaterThan(-10f);
        }
        // n = 4 m: the spare latents may die again after a resampling, having no feature left to learn
        assertThat(last.deadFraction()).isLessThan(0.1);
        assertThat(mmcs).as("the features are learned again").isGreaterThanOrEqualTo(0.95)
                .isGreaterThanOrEqualTo(mmcsLearned - 0.01);

        String scrape = registry.scrape();
        Matcher m = Pattern.compile("livesae_trainer_resampled_latents_total\\{[^}]*} ([0-9.Ee+]+)").matcher(scrape);
        assertThat(m.find()).as(scrape).isTrue();
        assertThat(Double.parseDouble(m.group(1))).isEqualTo((double) resampledHere);
        assertThat(lines).anySatisfy(l -> assertThat(l).contains("resampled=" + last.resampledLatents()));
    }

    /** For every true feature, the latent whose decoder row is closest to it. */
    static Set<Integer> bestMatches(Synthetic data, Sae sae) {
        Set<Integer> out = new TreeSet<>();
        for (int j = 0; j < data.gen.m(); j++) {
            float[] f = data.gen.feature(j);
            int best = -1;
            double bestDot = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < sae.dSae(); i++) {
                float[] w = sae.decoderRow(i);
                double dot = 0;
                for (int q = 0; q < f.length; q++) {
                    dot += f[q] * w[q];
                }
                if (dot > bestDot) {
                    bestDot = dot;
                    best = i;
                }
            }
            out.add(best);
        }
        return out;
    }

    static void copyTree(Path from, Path to) throws java.io.IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else if (!p.getFileName().toString().equals(CheckpointStore.MANIFEST)) {
                    Files.copy(p, target);
                }
            }
        }
    }

    /**
     * Rewrites the engine's files: the killed latents' W_dec and W_enc rows become a random unit vector (the
     * SAELens file holds W_enc as (d, n)), their b_enc in the trainer state -1000. Every other tensor and the
     * metadata are copied unchanged.
     */
    static void kill(Path engine, Set<Integer> killed, int d, int n) throws java.io.IOException {
        java.util.Random rnd = new java.util.Random(3);
        Path weights = engine.resolve("sae_weights.safetensors");
        Safetensors.Reader w = Safetensors.read(weights);
        float[] wDec = w.f32("W_dec", n, d);
        float[] wEncT = w.f32("W_enc", d, n);
        for (int i : killed) {
            double norm = 0;
            float[] v = new float[d];
            for (int q = 0; q < d; q++) {
                v[q] = (float) rnd.nextGaussian();
                norm += v[q] * v[q];
            }
            for (int q = 0; q < d; q++) {
                wDec[i * d + q] = (float) (v[q] / Math.sqrt(norm));
                wEncT[q * n + i] = wDec[i * d + q];
            }
        }
        rewrite(weights, w, Map.of("W_dec", wDec, "W_enc", wEncT));
        Path state = engine.resolve("trainer_state.safetensors");
        Safetensors.Reader s = Safetensors.read(state);
        float[] bEnc = s.f32("b_enc", n);
        for (int i : killed) {
            bEnc[i] = -1000f;
        }
        rewrite(state, s, Map.of("b_enc", bEnc));
    }

    static void rewrite(Path file, Safetensors.Reader in, Map<String, float[]> replaced) throws java.io.IOException {
        Safetensors.Writer out = new Safetensors.Writer();
        for (Safetensors.TensorInfo t : in.tensors().values()) {
            if (t.dtype().equals("I64")) {
                out.i64(t.name(), in.i64(t.name(), t.shape()), t.shape());
            } else {
                out.f32(t.name(), replaced.getOrDefault(t.name(), in.f32(t.name(), t.shape())), t.shape());
            }
        }
        in.metadata().forEach(out::metadata);
        Files.delete(file);
        out.write(file);
    }
}
