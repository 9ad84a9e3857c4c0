package dev.livesae.sources;

import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Synthetic activations with known features in superposition (labelled as synthetic; for checking
 * that a trainer recovers a dictionary it can be compared against).
 *
 * <p>Generative model. Two {@link SplittableRandom} streams, each seeded from {@code seed} and its own purpose
 * ({@code streamSeed(seed, "synthetic.features")} and {@code streamSeed(seed, "synthetic.samples")}, the
 * derivation of the engine's {@code Seeds.derive}), so the trainer's initialisation, seeded from the same
 * number with another purpose, never starts at the true dictionary:
 * <ol>
 *   <li>Dictionary {@code D} [m, d], from the features stream: row i is a standard Gaussian vector
 *       (Box-Muller) scaled to unit norm.</li>
 *   <li>Firing probabilities: {@code p_i = min(1, c (i + 1)^-alpha)} with c chosen so that
 *       {@code sum_i c (i + 1)^-alpha = meanActive}: feature 0 fires most often (power law).</li>
 *   <li>Per token, from the samples stream, for i = 0..m-1: feature i fires if {@code u < p_i} (u uniform); if it fires its
 *       magnitude is {@code a_i = magnitudeMean (0.5 + u')}; then
 *       {@code x = sum_i a_i D_i + noiseStd * g}, g standard Gaussian [d].</li>
 * </ol>
 * The same config therefore yields the same dictionary and the same row sequence in every JVM.
 */
public final class SyntheticActivations implements RowSource {

    public static final String DEFAULT_MODEL = "synthetic";
    public static final String DEFAULT_HOOKPOINT = "hook_synthetic";

    private final SyntheticConfig config;
    private final SplittableRandom random;
    private final float[] dictionary;
    private final double[] firing;
    private final long limit;
    private long produced;

    /** @param rows how many rows to produce in total; -1 = endless */
    public SyntheticActivations(SyntheticConfig config, long rows) {
        if (rows < -1) {
            throw new IllegalArgumentException("rows must be >= 0 or -1 for endless (got " + rows + ")");
        }
        this.config = config;
        this.limit = rows;
        this.random = new SplittableRandom(streamSeed(config.seed(), "synthetic.samples"));
        SplittableRandom features = new SplittableRandom(streamSeed(config.seed(), "synthetic.features"));
        int m = config.features();
        int d = config.dIn();
        this.dictionary = new float[m * d];
        double[] v = new double[d];
        for (int i = 0; i < m; i++) {
            double norm = 0;
            for (int j = 0; j < d; j++) {
                v[j] = gaussian(features);
                norm += v[j] * v[j];
            }
            norm = Math.sqrt(norm);
            for (int j = 0; j < d; j++) {
                dictionary[i * d + j] = (float) (v[j] / norm);
            }
        }
        this.firing = new double[m];
        double sum = 0;
        for (int i = 0; i < m; i++) {
            firing[i] = Math.pow(i + 1, -config.alpha());
            sum += firing[i];
        }
        double c = config.meanActive() / sum;
        for (int i = 0; i < m; i++) {
            firing[i] = Math.min(1.0, c * firing[i]);
        }
    }

    public SyntheticConfig config() {
        return config;
    }

    /** The true dictionary, row-major [m, d], unit-norm rows (a copy). */
    public float[] dictionary() {
        return dictionary.clone();
    }

    /** Firing probability of each feature (a copy). */
    public double[] firingProbabilities() {
        return firing.clone();
    }

    /** Writes the true dictionary as float32 [m, d] .npy. */
    public void writeDictionary(Path file) {
        Npy.writeFloat32(file, dictionary, config.features(), config.dIn());
    }

    @Override
    public int dIn() {
        return config.dIn();
    }

    @Override
    public RowChunk next(int maxRows) {
        int n = limit < 0 ? maxRows : (int) Math.min(maxRows, limit - produced);
        if (n <= 0) {
            return null;
        }
        int m = config.features();
        int d = config.dIn();
        float[] out = new float[n * d];
        double[] x = new double[d];
        for (int r = 0; r < n; r++) {
            java.util.Arrays.fill(x, 0);
            for (int i = 0; i < m; i++) {
                if (random.nextDouble() < firing[i]) {
                    double a = config.magnitudeMean() * (0.5 + random.nextDouble());
                    int base = i * d;
                    for (int j = 0; j < d; j++) {
                        x[j] += a * dictionary[base + j];
                    }
                }
            }
            for (int j = 0; j < d; j++) {
                out[r * d + j] = (float) (x[j] + config.noiseStd() * gaussian(random));
            }
        }
        produced += n;
        return new RowChunk(n, d, out, null, null, null);
    }

    /** Standard normal by Box-Muller (one value per two uniforms, so the sequence is simple to reproduce). */
    private static double gaussian(SplittableRandom random) {
        double u1 = random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2 * Math.log1p(-u1)) * Math.cos(2 * Math.PI * u2);
    }

    /**
     * The starting state of the stream for {@code purpose}: {@code mix64(seed ^ mix64(fnv1a64(utf8(purpose))))}
     * with the SplitMix64 finaliser; the same function as the engine's {@code Seeds.derive} (this module does not
     * depend on the engine), written out in docs/producer.md for other languages.
     */
    static long streamSeed(long seed, String purpose) {
        long h = 0xcbf29ce484222325L;
        for (byte b : purpose.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        return mix64(seed ^ mix64(h));
    }

    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    @Override
    public void close() {
        // nothing held
    }
}
