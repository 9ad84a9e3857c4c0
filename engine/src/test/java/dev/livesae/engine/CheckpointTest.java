package dev.livesae.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livesae.engine.io.CheckpointException;
import dev.livesae.engine.io.Safetensors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static Sae randomSae(int d, int n, int k, long seed) {
    Random rnd = new Random(seed);
    float[] wEnc = new float[n * d];
    float[] wDec = new float[n * d];
    float[] bEnc = new float[n];
    float[] bDec = new float[d];
    for (int q = 0; q < n * d; q++) {
      wEnc[q] = (float) rnd.nextGaussian();
      wDec[q] = (float) rnd.nextGaussian();
    }
    DecoderRows.reference(wDec, n, d);
    for (int i = 0; i < n; i++) {
      bEnc[i] = (float) (0.1 * rnd.nextGaussian());
    }
    for (int q = 0; q < d; q++) {
      bDec[q] = (float) rnd.nextGaussian();
    }
    return new Sae(d, n, k, wEnc, bEnc, wDec, bDec, true);
  }

  static float[] input(int rows, int d, long seed) {
    Random rnd = new Random(seed);
    float[] x = new float[rows * d];
    for (int q = 0; q < x.length; q++) {
      x[q] = (float) rnd.nextGaussian();
    }
    return x;
  }

  @Test
  void saeLensRoundTripIsExactAndFollowsTheLayout(@TempDir Path dir) throws Exception {
    Sae sae = randomSae(12, 40, 3, 1);
    sae.save(dir, "gpt2", "blocks.6.hook_resid_post");
    JsonNode cfg = JSON.readTree(dir.resolve("cfg.json").toFile());
    assertThat(cfg.get("architecture").asText()).isEqualTo("topk");
    assertThat(cfg.get("d_in").asInt()).isEqualTo(12);
    assertThat(cfg.get("d_sae").asInt()).isEqualTo(40);
    assertThat(cfg.get("k").asInt()).isEqualTo(3);
    assertThat(cfg.get("dtype").asText()).isEqualTo("float32");
    assertThat(cfg.get("device").asText()).isEqualTo("cpu");
    assertThat(cfg.get("normalize_activations").asText()).isEqualTo("none");
    assertThat(cfg.get("apply_b_dec_to_input").asBoolean()).isTrue();
    assertThat(cfg.at("/metadata/model_name").asText()).isEqualTo("gpt2");
    assertThat(cfg.at("/metadata/hook_name").asText()).isEqualTo("blocks.6.hook_resid_post");

    // the safetensors bytes, read by hand from the format description
    byte[] raw = Files.readAllBytes(dir.resolve("sae_weights.safetensors"));
    long headerLen = ByteBuffer.wrap(raw, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertThat((8 + headerLen) % 8).isZero();
    JsonNode header = JSON.readTree(new String(raw, 8, (int) headerLen, StandardCharsets.UTF_8));
    assertThat(header.at("/W_enc/dtype").asText()).isEqualTo("F32");
    assertThat(header.at("/W_enc/shape").toString()).isEqualTo("[12,40]");
    assertThat(header.at("/W_dec/shape").toString()).isEqualTo("[40,12]");
    assertThat(header.at("/b_enc/shape").toString()).isEqualTo("[40]");
    assertThat(header.at("/b_dec/shape").toString()).isEqualTo("[12]");
    long wEncBegin = header.at("/W_enc/data_offsets/0").asLong();
    ByteBuffer data = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    // W_enc[d=2, latent=5] is the encoder row of latent 5 at coordinate 2
    float stored = data.getFloat((int) (8 + headerLen + wEncBegin + 4L * (2 * 40 + 5)));
    assertThat(stored).isEqualTo(sae.encoderRow(5)[2]);
    assertThat(raw.length).isEqualTo(8 + headerLen + 4L * (12 * 40 * 2 + 40 + 12));

    Sae back = Sae.load(dir);
    for (int i = 0; i < 40; i++) {
      assertThat(back.decoderRow(i)).containsExactly(sae.decoderRow(i));
      assertThat(back.encoderRow(i)).containsExactly(sae.encoderRow(i));
    }
    assertThat(back.encoderBias()).containsExactly(sae.encoderBias());
    assertThat(back.decoderBias()).containsExactly(sae.decoderBias());
    float[] x = input(30, 12, 2);
    assertThat(back.encode(x, 30).indices()).containsExactly(sae.encode(x, 30).indices());
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .as("atomic writes leave no temporary files")
          .containsExactlyInAnyOrder("cfg.json", "sae_weights.safetensors");
    }
  }

  static void writeSparsify(Path dir, Sae sae, boolean withDIn) throws IOException {
    new Safetensors.Writer()
        .f32("encoder.weight", sae.wEncRaw(), sae.dSae(), sae.dIn())
        .f32("encoder.bias", sae.bEncRaw(), sae.dSae())
        .f32("W_dec", sae.wDecRaw(), sae.dSae(), sae.dIn())
        .f32("b_dec", sae.bDecRaw(), sae.dIn())
        .write(dir.resolve("sae.safetensors"));
    String dIn = withDIn ? ", \"d_in\": " + sae.dIn() : "";
    Files.writeString(dir.resolve("cfg.json"), "{\"expansion_factor\": " + sae.dSae() / sae.dIn()
        + ", \"normalize_decoder\": true, \"num_latents\": 0, \"k\": " + sae.k() + ", \"multi_topk\": false,"
        + " \"skip_connection\": false" + dIn + "}");
  }

  @Test
  void loadsSparsifyCheckpointsForEncoding(@TempDir Path dir) throws Exception {
    Sae sae = randomSae(10, 40, 4, 3);
    writeSparsify(dir, sae, false);
    Sae loaded = Sae.load(dir);
    assertThat(loaded.dIn()).isEqualTo(10);
    assertThat(loaded.dSae()).isEqualTo(40);
    assertThat(loaded.k()).isEqualTo(4);
    float[] x = input(25, 10, 4);
    TopKCodes a = sae.encode(x, 25);
    TopKCodes b = loaded.encode(x, 25);
    assertThat(b.indices()).containsExactly(a.indices());
    assertThat(b.values()).containsExactly(a.values());
    assertThat(b.reconError()).containsExactly(a.reconError());
  }

  @Test
  void refusesTruncatedFile(@TempDir Path dir) throws Exception {
    randomSae(12, 40, 3, 1).save(dir, "m", "h");
    Path w = dir.resolve("sae_weights.safetensors");
    try (FileChannel ch = FileChannel.open(w, StandardOpenOption.WRITE)) {
      ch.truncate(ch.size() - 10);
    }
    assertThatThrownBy(() -> Sae.load(dir)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("truncated").hasMessageContaining("sae_weights.safetensors");
    try (FileChannel ch = FileChannel.open(w, StandardOpenOption.WRITE)) {
      ch.truncate(5);
    }
    assertThatThrownBy(() -> Sae.load(dir)).isInstanceOf(CheckpointException.class).hasMessageContaining("truncated");
  }

  @Test
  void refusesWrongShape(@TempDir Path dir) throws Exception {
    Sae sae = randomSae(12, 40, 3, 1);
    sae.save(dir, "m", "h");
    String cfg = Files.readString(dir.resolve("cfg.json")).replace("\"d_sae\" : 40", "\"d_sae\" : 41");
    Files.writeString(dir.resolve("cfg.json"), cfg);
    assertThatThrownBy(() -> Sae.load(dir)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("W_enc").hasMessageContaining("shape [12, 40]").hasMessageContaining("expected [12, 41]");
  }

  @Test
  void refusesBadJson(@TempDir Path dir) throws Exception {
    randomSae(12, 40, 3, 1).save(dir, "m", "h");
    Files.writeString(dir.resolve("cfg.json"), "{\"architecture\": \"topk\", \"d_in\": 12,");
    assertThatThrownBy(() -> Sae.load(dir)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("cfg.json").hasMessageContaining("bad JSON");
    // a safetensors header that is not JSON
    byte[] junk = "{not json}".getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + junk.length).order(ByteOrder.LITTLE_ENDIAN).putLong(junk.length).put(junk);
    Path bad = dir.resolve("bad.safetensors");
    Files.write(bad, b.array());
    assertThatThrownBy(() -> Safetensors.read(bad)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("not valid JSON");
  }

  @Test
  void refusesUnsupportedArchitectureAndMissingFiles(@TempDir Path dir) throws Exception {
    assertThatThrownBy(() -> Sae.load(dir)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("sae_weights.safetensors").hasMessageContaining("sae.safetensors");
    randomSae(12, 40, 3, 1).save(dir, "m", "h");
    String topk = Files.readString(dir.resolve("cfg.json"));
    Files.writeString(dir.resolve("cfg.json"), topk.replace("\"architecture\" : \"topk\"", "\"architecture\" : \"gated\""));
    assertThatThrownBy(() -> Sae.load(dir)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("architecture 'gated' is not supported (only topk and jumprelu)");
    // a JumpReLU cfg.json needs the threshold tensor
    Files.writeString(dir.resolve("cfg.json"), topk.replace("\"architecture\" : \"topk\"", "\"architecture\" : \"jumprelu\""));
    assertThatThrownBy(() -> Sae.load(dir)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("missing tensor threshold");
  }

  @Test
  void refusesTrainerStateFromAnotherSave(@TempDir Path dir) throws Exception {
    float[][] data = SaeTrainerTest.batches(3);
    try (SaeTrainer t = SaeTrainer.create(SaeTrainerTest.busyConfig(), data[0], SaeTrainerTest.ROWS)) {
      t.step(data[0], SaeTrainerTest.ROWS);
      t.save(dir, "m", "h");
      Path older = dir.resolve("older-state");
      Files.copy(dir.resolve(SaeTrainer.STATE_FILE), older);
      t.step(data[1], SaeTrainerTest.ROWS);
      t.save(dir, "m", "h");
      Files.copy(older, dir.resolve(SaeTrainer.STATE_FILE), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      assertThatThrownBy(() -> SaeTrainer.load(dir)).isInstanceOf(CheckpointException.class)
          .hasMessageContaining("does not match");
    }
    // the dictionary alone remains loadable as a SAELens SAE
    assertThat(Sae.load(dir).dSae()).isEqualTo(SaeTrainerTest.N);
  }

  @Test
  void safetensorsRoundTripsLongTensorsAndMetadata(@TempDir Path dir) throws Exception {
    long[] longs = {1, -2, Long.MAX_VALUE, 0};
    float[] floats = {1.5f, Float.MIN_VALUE, -0f};
    new Safetensors.Writer().i64("clock", longs, 2, 2).f32("f", floats, 3).metadata("step", "7")
        .write(dir.resolve("t.safetensors"));
    Safetensors.Reader r = Safetensors.read(dir.resolve("t.safetensors"));
    assertThat(r.i64("clock", 2, 2)).containsExactly(longs);
    assertThat(Arrays.equals(r.f32("f", 3), floats)).isTrue();
    assertThat(r.metadata()).containsEntry("step", "7");
    assertThatThrownBy(() -> r.f32("clock", 2, 2)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("dtype I64");
    assertThatThrownBy(() -> r.f32("missing", 1)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("missing tensor missing");
  }
}
