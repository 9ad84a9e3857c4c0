package dev.livesae.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livesae.engine.io.AtomicFiles;
import dev.livesae.engine.io.CheckpointException;
import dev.livesae.engine.io.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Dictionary files. SAELens layout (what we write): {@code cfg.json} + {@code sae_weights.safetensors} with
 * F32 W_enc (d_in, d_sae), W_dec (d_sae, d_in), b_enc (d_sae), b_dec (d_in), and for {@code architecture:
 * "jumprelu"} also threshold (d_sae). EleutherAI sparsify layout (read only): {@code cfg.json} (k, num_latents or expansion_factor, optional d_in) + {@code sae.safetensors} with
 * encoder.weight (n, d), encoder.bias (n), W_dec (n, d), b_dec (d).
 */
final class SaeFormats {
  static final String CFG = "cfg.json";
  static final String SAELENS_WEIGHTS = "sae_weights.safetensors";
  static final String SPARSIFY_WEIGHTS = "sae.safetensors";
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  /**
   * Code slots of a JumpReLU SAE whose cfg.json does not name them (a foreign one): published JumpReLU SAEs run
   * at L0 of about 10 to 150, so 256 keeps every latent of nearly every row.
   */
  static final int DEFAULT_JUMPRELU_SLOTS = 256;

  private SaeFormats() {
  }

  static ObjectNode saeLensConfig(Sae sae, String modelName, String hookName, Map<String, ?> livesae,
                                  Map<String, ?> metadata) {
    boolean jump = sae.thresholdRaw() != null;
    ObjectNode c = JSON.createObjectNode();
    c.put("architecture", sae.architecture());
    c.put("d_in", sae.dIn());
    c.put("d_sae", sae.dSae());
    if (!jump) {
      c.put("k", sae.k());
    }
    c.put("dtype", "float32");
    c.put("device", "cpu");
    c.put("apply_b_dec_to_input", true);
    c.put("normalize_activations", "none");
    c.put("reshape_activations", "none");
    c.put("finetuning_scaling_factor", false);
    if (jump) {
      c.put("activation_fn", "relu");
    } else {
      c.put("activation_fn", "topk");
      c.putObject("activation_fn_kwargs").put("k", sae.k());
    }
    c.put("model_name", modelName);
    c.put("hook_name", hookName);
    c.putNull("hook_head_index");
    ObjectNode meta = c.putObject("metadata");
    meta.put("model_name", modelName);
    meta.put("hook_name", hookName);
    meta.putNull("hook_head_index");
    meta.put("prepend_bos", true);
    meta.put("sae_lens_training_version", (String) null);
    metadata.forEach((key, v) -> meta.set(key, JSON.valueToTree(v)));
    ObjectNode ls = c.putObject("livesae");
    ls.put("format_version", 1);
    if (jump) {
      ls.put("code_slots", sae.k());
    }
    livesae.forEach((key, v) -> ls.set(key, JSON.valueToTree(v)));
    return c;
  }

  static void saveSaeLens(Sae sae, Path dir, String modelName, String hookName, Map<String, ?> livesae,
                          Map<String, ?> metadata) throws IOException {
    if (modelName == null || modelName.isBlank()) {
      throw new IllegalArgumentException("modelName must be non-blank (got '" + modelName + "')");
    }
    if (hookName == null || hookName.isBlank()) {
      throw new IllegalArgumentException("hookName must be non-blank (got '" + hookName + "')");
    }
    Files.createDirectories(dir);
    Safetensors.Writer w = new Safetensors.Writer()
        .f32Transposed("W_enc", sae.wEncRaw(), sae.dIn(), sae.dSae())
        .f32("W_dec", sae.wDecRaw(), sae.dSae(), sae.dIn())
        .f32("b_enc", sae.bEncRaw(), sae.dSae())
        .f32("b_dec", sae.bDecRaw(), sae.dIn());
    if (sae.thresholdRaw() != null) {
      w.f32("threshold", sae.thresholdRaw(), sae.dSae());
    }
    w.metadata("format", "pt").write(dir.resolve(SAELENS_WEIGHTS));
    AtomicFiles.writeString(dir.resolve(CFG),
        JSON.writeValueAsString(saeLensConfig(sae, modelName, hookName, livesae, metadata)));
  }

  static JsonNode readJson(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new CheckpointException(file, "no such file");
    }
    try {
      JsonNode n = JSON.readTree(Files.readString(file));
      if (n == null || !n.isObject()) {
        throw new CheckpointException(file, "not a JSON object");
      }
      return n;
    } catch (JsonProcessingException e) {
      throw new CheckpointException(file, "bad JSON: " + e.getOriginalMessage(), e);
    }
  }

  static int requireInt(Path file, JsonNode node, String field) throws CheckpointException {
    JsonNode v = node.get(field);
    if (v == null || !v.canConvertToInt() || v.asInt() < 1) {
      throw new CheckpointException(file, "field " + field + " must be a positive integer (got " + v + ")");
    }
    return v.asInt();
  }

  static Sae load(Path dir, boolean fast) throws IOException {
    if (Files.isRegularFile(dir.resolve(SAELENS_WEIGHTS))) {
      return loadSaeLens(dir, fast);
    }
    if (Files.isRegularFile(dir.resolve(SPARSIFY_WEIGHTS))) {
      return loadSparsify(dir, fast);
    }
    throw new CheckpointException(dir, "neither " + SAELENS_WEIGHTS + " (SAELens/livesae) nor " + SPARSIFY_WEIGHTS
        + " (sparsify) found");
  }

  static Sae loadSaeLens(Path dir, boolean fast) throws IOException {
    Path cfgFile = dir.resolve(CFG);
    JsonNode cfg = readJson(cfgFile);
    String arch = cfg.path("architecture").asText(cfg.path("activation_fn").asText(""));
    if (!arch.equals("topk") && !arch.equals("jumprelu")) {
      throw new CheckpointException(cfgFile, "architecture '" + arch + "' is not supported (only topk and jumprelu)");
    }
    boolean jump = arch.equals("jumprelu");
    int dIn = requireInt(cfgFile, cfg, "d_in");
    int dSae = requireInt(cfgFile, cfg, "d_sae");
    int k;
    if (jump) {
      k = cfg.path("livesae").has("code_slots") ? requireInt(cfgFile, cfg.path("livesae"), "code_slots")
          : Math.min(dSae, DEFAULT_JUMPRELU_SLOTS);
    } else {
      k = cfg.has("k") ? requireInt(cfgFile, cfg, "k") : requireInt(cfgFile, cfg.path("activation_fn_kwargs"), "k");
    }
    if (k > dSae) {
      throw new CheckpointException(cfgFile, "k " + k + " exceeds d_sae " + dSae);
    }
    String norm = cfg.path("normalize_activations").asText("none");
    if (!norm.equals("none") && !cfg.path("normalize_activations").isNull()) {
      throw new CheckpointException(cfgFile, "normalize_activations '" + norm
          + "' is not supported (only 'none': fold the scaling into the weights)");
    }
    if (cfg.has("apply_b_dec_to_input") && !cfg.get("apply_b_dec_to_input").asBoolean()) {
      throw new CheckpointException(cfgFile, "apply_b_dec_to_input false is not supported");
    }
    Safetensors.Reader r = Safetensors.read(dir.resolve(SAELENS_WEIGHTS));
    float[] wEnc = r.f32Transposed("W_enc", dIn, dSae);
    float[] wDec = r.f32("W_dec", dSae, dIn);
    float[] bEnc = r.f32("b_enc", dSae);
    float[] bDec = r.f32("b_dec", dIn);
    float[] threshold = jump ? r.f32("threshold", dSae) : null;
    return new Sae(dIn, dSae, k, wEnc, bEnc, wDec, bDec, threshold, fast);
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> readMetadata(Path dir) throws IOException {
    JsonNode m = readJson(dir.resolve(CFG)).path("metadata");
    return m.isObject() ? JSON.convertValue(m, Map.class) : Map.of();
  }

  static Sae loadSparsify(Path dir, boolean fast) throws IOException {
    Path cfgFile = dir.resolve(CFG);
    JsonNode cfg = readJson(cfgFile);
    if (cfg.path("skip_connection").asBoolean(false)) {
      throw new CheckpointException(cfgFile, "skip_connection true is not supported");
    }
    int k = requireInt(cfgFile, cfg, "k");
    Safetensors.Reader r = Safetensors.read(dir.resolve(SPARSIFY_WEIGHTS));
    Safetensors.TensorInfo bd = r.tensors().get("b_dec");
    if (bd == null || bd.shape().length != 1) {
      throw new CheckpointException(r.file(), "missing or non-vector tensor b_dec (has " + r.tensors().keySet() + ")");
    }
    int dIn = cfg.has("d_in") ? requireInt(cfgFile, cfg, "d_in") : Math.toIntExact(bd.shape()[0]);
    int n = cfg.path("num_latents").asInt(0);
    if (n <= 0) {
      n = requireInt(cfgFile, cfg, "expansion_factor") * dIn;
    }
    if (k > n) {
      throw new CheckpointException(cfgFile, "k " + k + " exceeds num_latents " + n);
    }
    float[] wEnc = r.f32("encoder.weight", n, dIn);
    float[] bEnc = r.f32("encoder.bias", n);
    float[] wDec = r.f32("W_dec", n, dIn);
    float[] bDec = r.f32("b_dec", dIn);
    return new Sae(dIn, n, k, wEnc, bEnc, wDec, bDec, fast);
  }
}
