package dev.livesae.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import dev.livesae.engine.Sae;
import dev.livesae.kafka.test.KafkaBrokerExtension;
import dev.livesae.sources.Npy;
import dev.livesae.trainer.checkpoint.CheckpointStore;
import picocli.CommandLine;

/**
 * {@code sae produce --source synthetic} and {@code sae train} with their default seeds (42 both) used to draw the
 * true features and the initial decoder from the same SplitMix64 stream, so the SAE started at the answer (mean
 * best cosine 1.0 at step 0). Each generator now derives its stream from its purpose. Through the real commands
 * on the real broker (labelled synthetic data): the initial dictionary is at chance level, and training still
 * recovers the true one. Only the data's size and the training speed are set; every seed is the default.
 */
class DefaultSeedsTest {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    static final long TOKENS = 409_600;

    static int sae(String... args) {
        CommandLine cl = dev.livesae.cli.Sae.commandLine(new LayeredDefaults(Map.of(), new Properties()));
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(out));
        int exit = cl.execute(args);
        System.out.println(out);
        return exit;
    }

    /** Mean over the rows of {@code truth} (m, d) of the best cosine with any decoder row. */
    static double meanBestCosine(float[] truth, int d, Sae sae) {
        int m = truth.length / d;
        double sum = 0;
        for (int j = 0; j < m; j++) {
            double best = -1;
            for (int i = 0; i < sae.dSae(); i++) {
                float[] w = sae.decoderRow(i);
                double dot = 0;
                double nw = 0;
                for (int q = 0; q < d; q++) {
                    dot += truth[j * d + q] * w[q];
                    nw += w[q] * w[q];
                }
                best = Math.max(best, dot / Math.sqrt(nw));
            }
            sum += best;
        }
        return sum / m;
    }

    /** The same statistic for n random unit vectors from an unrelated generator: what "no information" scores. */
    static double chanceLevel(float[] truth, int d, int n) {
        Random rnd = new Random(1);
        int m = truth.length / d;
        double[][] rows = new double[n][d];
        for (double[] r : rows) {
            double s = 0;
            for (int q = 0; q < d; q++) {
                r[q] = rnd.nextGaussian();
                s += r[q] * r[q];
            }
            for (int q = 0; q < d; q++) {
                r[q] /= Math.sqrt(s);
            }
        }
        double sum = 0;
        for (int j = 0; j < m; j++) {
            double best = -1;
            for (double[] r : rows) {
                double dot = 0;
                for (int q = 0; q < d; q++) {
                    dot += truth[j * d + q] * r[q];
                }
                best = Math.max(best, dot);
            }
            sum += best;
        }
        return sum / m;
    }

    @Test
    void defaultSeedsStartAtChanceLevelAndStillRecoverTheTrueFeatures(@TempDir Path dir) throws Exception {
        String model = "seeds" + Long.toHexString(System.nanoTime());
        Path truthFile = dir.resolve("true-dictionary.npy");
        Path ck = dir.resolve("ck");
        // produce: default --seed, --d-in 64; 128 features firing 4 at a time on average so that the test stays short
        assertThat(sae("produce", "--source", "synthetic", "--bootstrap", KAFKA.bootstrapServers(), "--model", model,
                "--features", "128", "--alpha", "0.5", "--mean-active", "4", "--max-tokens", "" + TOKENS,
                "--dictionary-out", truthFile.toString())).isZero();
        // train: default --seed and --expansion (8: 512 latents); the speed knobs of the tests
        assertThat(sae("train", "--bootstrap", KAFKA.bootstrapServers(), "--model", model, "--hookpoint", "hook_synthetic",
                "--checkpoint-dir", ck.toString(), "--k", "8", "--batch", "1024", "--lr", "0.002", "--warmup-steps", "50",
                "--dead-tokens", "100000", "--promote-every", "0", "--no-codes", "--max-tokens", "" + TOKENS)).isZero();

        float[] truth = Npy.readAll(truthFile);
        Path last = new CheckpointStore(ck).latest().orElseThrow();
        Sae initial = Sae.load(last.resolve("dictionary")); // --promote-every 0: the promoted dictionary stays v0, the initialised SAE
        Sae trained = Sae.load(last.resolve("engine"));
        assertThat(initial.dSae()).isEqualTo(512);
        double atStart = meanBestCosine(truth, 64, initial);
        double chance = chanceLevel(truth, 64, initial.dSae());
        double atEnd = meanBestCosine(truth, 64, trained);
        System.out.printf("default seeds: mean best cosine at step 0 %.4f (chance level %.4f), after %d tokens %.4f%n",
                atStart, chance, TOKENS, atEnd);
        // random unit rows in 64 dimensions: the best of 512 cosines is ~0.37 for any fixed direction
        assertThat(atStart).as("the initial dictionary knows nothing of the true one").isLessThan(0.45)
                .isCloseTo(chance, org.assertj.core.data.Offset.offset(0.05));
        assertThat(atEnd).as("and training still finds it").isGreaterThanOrEqualTo(0.95);
    }
}
