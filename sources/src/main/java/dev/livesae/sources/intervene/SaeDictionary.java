package dev.livesae.sources.intervene;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livesae.engine.Sae;
import dev.livesae.engine.io.CheckpointException;
import dev.livesae.engine.io.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * An SAE as plain float arrays for per-request work in the inference process (at MiniLM sizes a request's
 * encode is a few hundred thousand multiply-adds per token, no native library needed):
 * {@code pre = W_enc^T (x - b_dec) + b_enc} (without the {@code - b_dec} when {@code applyBDecToInput} is false,
 * as some SAELens JumpReLU SAEs), {@code z = activation(pre)}, {@code x_hat = b_dec + W_dec^T z}.
 * {@code wEnc} is (d_in, d_sae) as SAELens stores it, {@code wDec} (d_sae, d_in). Immutable, thread-safe.
 */
public final class SaeDictionary {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Tokens encoded together (their pre-activation rows stay in cache while W_enc streams once). */
    static final int ROW_BLOCK = 8;

    private final int dIn;
    private final int dSae;
    private final float[] wEnc;
    private final float[] bEnc;
    private final float[] wDec;
    private final float[] bDec;
    private final Activation activation;
    private final boolean applyBDecToInput;

    /** Takes copies of the arrays. */
    public SaeDictionary(int dIn, int dSae, float[] wEnc, float[] bEnc, float[] wDec, float[] bDec,
                         Activation activation, boolean applyBDecToInput) {
        if (dIn < 1 || dSae < 1) {
            throw new IllegalArgumentException("SaeDictionary: dIn and dSae must be >= 1 (got " + dIn + ", " + dSae + ")");
        }
        this.dIn = dIn;
        this.dSae = dSae;
        this.wEnc = checked("wEnc", wEnc, (long) dIn * dSae);
        this.bEnc = checked("bEnc", bEnc, dSae);
        this.wDec = checked("wDec", wDec, (long) dSae * dIn);
        this.bDec = checked("bDec", bDec, dIn);
        this.activation = Objects.requireNonNull(activation, "activation");
        if (activation instanceof Activation.JumpRelu j && j.threshold().length != dSae) {
            throw new IllegalArgumentException("SaeDictionary: JumpReLU threshold length must be dSae = " + dSae
                    + " (got " + j.threshold().length + ")");
        }
        this.applyBDecToInput = applyBDecToInput;
    }

    private static float[] checked(String field, float[] a, long want) {
        if (a == null || a.length != want) {
            throw new IllegalArgumentException("SaeDictionary." + field + " length must be " + want + " (got "
                    + (a == null ? "null" : a.length) + ")");
        }
        return a.clone();
    }

    /** The engine's SAE (ours, SAELens TopK or JumpReLU, sparsify, as loaded by {@link Sae#load}). */
    public static SaeDictionary of(Sae sae) {
        int d = sae.dIn();
        int n = sae.dSae();
        float[] wEnc = new float[d * n];
        float[] wDec = new float[n * d];
        for (int i = 0; i < n; i++) {
            float[] e = sae.encoderRow(i);
            for (int q = 0; q < d; q++) {
                wEnc[q * n + i] = e[q];
            }
            System.arraycopy(sae.decoderRow(i), 0, wDec, i * d, d);
        }
        float[] threshold = sae.threshold();
        Activation act = threshold != null ? new Activation.JumpRelu(threshold) : new Activation.TopK(sae.k());
        return new SaeDictionary(d, n, wEnc, sae.encoderBias(), wDec, sae.decoderBias(), act, true);
    }

    /**
     * Loads a dictionary directory through the engine's {@link Sae#load} (ours, SAELens TopK or JumpReLU,
     * sparsify), except a SAELens JumpReLU SAE with {@code apply_b_dec_to_input: false} (as Gemma Scope's),
     * which the engine refuses and which is read here.
     * A livesae checkpoint directory (with {@code LATEST}) resolves to its newest checkpoint's promoted
     * {@code dictionary/}.
     */
    public static SaeDictionary load(Path dir) throws IOException {
        Path resolved = resolve(dir);
        Path cfgFile = resolved.resolve("cfg.json");
        if (Files.isRegularFile(cfgFile) && Files.isRegularFile(resolved.resolve("sae_weights.safetensors"))) {
            JsonNode cfg = JSON.readTree(Files.readString(cfgFile));
            if ("jumprelu".equals(cfg.path("architecture").asText("")) && !cfg.path("apply_b_dec_to_input").asBoolean(true)) {
                return loadJumpRelu(resolved, cfg);
            }
        }
        return of(Sae.load(resolved));
    }

    /** {@code dir}, or for a checkpoint root (a {@code LATEST} file) the newest checkpoint's {@code dictionary/}. */
    public static Path resolve(Path dir) throws IOException {
        Path latest = dir.resolve("LATEST");
        if (Files.isRegularFile(latest)) {
            Path step = dir.resolve(Files.readString(latest).trim());
            return Files.isDirectory(step.resolve("dictionary")) ? step.resolve("dictionary") : step.resolve("engine");
        }
        return dir;
    }

    private static SaeDictionary loadJumpRelu(Path dir, JsonNode cfg) throws IOException {
        Path cfgFile = dir.resolve("cfg.json");
        int dIn = cfg.path("d_in").asInt(0);
        int dSae = cfg.path("d_sae").asInt(0);
        if (dIn < 1 || dSae < 1) {
            throw new CheckpointException(cfgFile, "d_in and d_sae must be positive integers (got " + cfg.get("d_in") + ", " + cfg.get("d_sae") + ")");
        }
        String norm = cfg.path("normalize_activations").asText("none");
        if (!norm.equals("none") && !cfg.path("normalize_activations").isNull()) {
            throw new CheckpointException(cfgFile, "normalize_activations '" + norm + "' is not supported (only 'none')");
        }
        Safetensors.Reader r = Safetensors.read(dir.resolve("sae_weights.safetensors"));
        return new SaeDictionary(dIn, dSae, r.f32("W_enc", dIn, dSae), r.f32("b_enc", dSae), r.f32("W_dec", dSae, dIn),
                r.f32("b_dec", dIn), new Activation.JumpRelu(r.f32("threshold", dSae)),
                false);
    }

    public int dIn() {
        return dIn;
    }

    public int dSae() {
        return dSae;
    }

    public Activation activation() {
        return activation;
    }

    /** Decoder row (direction) of a latent, a copy. */
    public float[] decoderRow(int latent) {
        checkLatent(latent);
        return java.util.Arrays.copyOfRange(wDec, latent * dIn, (latent + 1) * dIn);
    }

    public float[] decoderBias() {
        return bDec.clone();
    }

    void checkLatent(int latent) {
        if (latent < 0 || latent >= dSae) {
            throw new IllegalArgumentException("latent must be in [0, " + dSae + ") (got " + latent + ")");
        }
    }

    /** Codes z, dense [rows, d_sae] (0 = not firing), of x [rows, d_in]. */
    public float[] encode(float[] x, int rows) {
        if (x.length != (long) rows * dIn) {
            throw new IllegalArgumentException("x must hold rows*dIn = " + rows + "*" + dIn + " floats (got " + x.length + ")");
        }
        float[] z = new float[rows * dSae];
        // rows in blocks of ROW_BLOCK so each W_enc row streamed from memory serves several tokens
        for (int r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
            int r1 = Math.min(rows, r0 + ROW_BLOCK);
            for (int r = r0; r < r1; r++) {
                System.arraycopy(bEnc, 0, z, r * dSae, dSae);
            }
            for (int q = 0; q < dIn; q++) {
                int w = q * dSae;
                for (int r = r0; r < r1; r++) {
                    float s = x[r * dIn + q] - (applyBDecToInput ? bDec[q] : 0f);
                    if (s == 0f) {
                        continue;
                    }
                    int o = r * dSae;
                    for (int i = 0; i < dSae; i++) {
                        z[o + i] += s * wEnc[w + i];
                    }
                }
            }
            for (int r = r0; r < r1; r++) {
                activation.apply(z, r * dSae, dSae);
            }
        }
        return z;
    }

    /** x_hat = b_dec + W_dec^T z for dense codes z [rows, d_sae]. */
    public float[] decode(float[] z, int rows) {
        if (z.length != (long) rows * dSae) {
            throw new IllegalArgumentException("z must hold rows*dSae = " + rows + "*" + dSae + " floats (got " + z.length + ")");
        }
        float[] out = new float[rows * dIn];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(bDec, 0, out, r * dIn, dIn);
            for (int i = 0; i < dSae; i++) {
                float v = z[r * dSae + i];
                if (v != 0f) {
                    addScaled(out, r * dIn, i, v);
                }
            }
        }
        return out;
    }

    /** out[off, off + d_in) += c * W_dec[latent]. */
    void addScaled(float[] out, int off, int latent, float c) {
        int w = latent * dIn;
        for (int q = 0; q < dIn; q++) {
            out[off + q] += c * wDec[w + q];
        }
    }

    /** W_enc as (d_sae, d_in), one row per latent (a copy; for metrics such as the max encoder cosine). */
    public float[] encoderRowsByLatent() {
        float[] out = new float[dSae * dIn];
        for (int q = 0; q < dIn; q++) {
            for (int i = 0; i < dSae; i++) {
                out[i * dIn + q] = wEnc[q * dSae + i];
            }
        }
        return out;
    }

    /** W_dec (d_sae, d_in), a copy. */
    public float[] decoderRows() {
        return wDec.clone();
    }
}
