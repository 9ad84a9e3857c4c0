package dev.livesae.engine.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format: an unsigned 64-bit little-endian header length N, N bytes of UTF-8 JSON
 * {@code {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {str: str}}}
 * (offsets relative to the byte after the header, padded here with spaces to a multiple of 8), then the raw
 * little-endian tensor data. Written from the format description; F32 and I64 tensors are supported.
 */
public final class Safetensors {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final long MAX_HEADER = 100L << 20;

  private Safetensors() {
  }

  /** A tensor description from the header. */
  public record TensorInfo(String name, String dtype, long[] shape, long begin, long end) {
    public long elements() {
      long e = 1;
      for (long s : shape) {
        e *= s;
      }
      return e;
    }
  }

  /** Collects tensors and writes them atomically. */
  public static final class Writer {
    private record Entry(String name, String dtype, long[] shape, float[] f32, long[] i64) {
    }

    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    public Writer f32(String name, float[] data, long... shape) {
      checkShape(name, data.length, shape);
      entries.add(new Entry(name, "F32", shape.clone(), data, null));
      return this;
    }

    /** F32 tensor (rows, cols) written as the transpose of a row-major (cols, rows) array. */
    public Writer f32Transposed(String name, float[] colsByRows, int rows, int cols) {
      float[] t = new float[rows * cols];
      for (int c = 0; c < cols; c++) {
        for (int r = 0; r < rows; r++) {
          t[r * cols + c] = colsByRows[c * rows + r];
        }
      }
      return f32(name, t, rows, cols);
    }

    public Writer i64(String name, long[] data, long... shape) {
      checkShape(name, data.length, shape);
      entries.add(new Entry(name, "I64", shape.clone(), null, data));
      return this;
    }

    public Writer metadata(String key, String value) {
      metadata.put(key, value);
      return this;
    }

    private static void checkShape(String name, int len, long[] shape) {
      long e = 1;
      for (long s : shape) {
        e *= s;
      }
      if (e != len) {
        throw new IllegalArgumentException("tensor " + name + ": shape " + Arrays.toString(shape)
            + " holds " + e + " elements but data has " + len);
      }
    }

    byte[] header() {
      ObjectNode root = JSON.createObjectNode();
      if (!metadata.isEmpty()) {
        ObjectNode m = root.putObject("__metadata__");
        metadata.forEach(m::put);
      }
      long off = 0;
      for (Entry e : entries) {
        ObjectNode t = root.putObject(e.name);
        t.put("dtype", e.dtype);
        ArrayNode sh = t.putArray("shape");
        for (long s : e.shape) {
          sh.add(s);
        }
        long bytes = e.f32 != null ? 4L * e.f32.length : 8L * e.i64.length;
        ArrayNode o = t.putArray("data_offsets");
        o.add(off);
        o.add(off + bytes);
        off += bytes;
      }
      byte[] json;
      try {
        json = JSON.writeValueAsBytes(root);
      } catch (JsonProcessingException ex) {
        throw new IllegalStateException("cannot serialise safetensors header", ex);
      }
      int padded = (json.length + 7) / 8 * 8;
      byte[] out = Arrays.copyOf(json, padded);
      Arrays.fill(out, json.length, padded, (byte) ' ');
      return out;
    }

    public void write(Path file) throws IOException {
      byte[] header = header();
      AtomicFiles.write(file, ch -> {
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).flip();
        writeFully(ch, len);
        writeFully(ch, ByteBuffer.wrap(header));
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        for (Entry e : entries) {
          if (e.f32 != null) {
            for (int p = 0; p < e.f32.length; ) {
              int m = Math.min(e.f32.length - p, buf.capacity() / 4);
              buf.clear();
              buf.asFloatBuffer().put(e.f32, p, m);
              buf.limit(m * 4);
              writeFully(ch, buf);
              p += m;
            }
          } else {
            for (int p = 0; p < e.i64.length; ) {
              int m = Math.min(e.i64.length - p, buf.capacity() / 8);
              buf.clear();
              buf.asLongBuffer().put(e.i64, p, m);
              buf.limit(m * 8);
              writeFully(ch, buf);
              p += m;
            }
          }
        }
      });
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
      while (b.hasRemaining()) {
        ch.write(b);
      }
    }
  }

  /** A parsed, validated safetensors file; tensors are read from a read-only memory map. */
  public static final class Reader {
    private final Path file;
    private final ByteBuffer data;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private Reader(Path file, ByteBuffer data, Map<String, TensorInfo> tensors, Map<String, String> metadata) {
      this.file = file;
      this.data = data;
      this.tensors = tensors;
      this.metadata = metadata;
    }

    public Path file() {
      return file;
    }

    public Map<String, TensorInfo> tensors() {
      return Collections.unmodifiableMap(tensors);
    }

    public Map<String, String> metadata() {
      return Collections.unmodifiableMap(metadata);
    }

    public boolean has(String name) {
      return tensors.containsKey(name);
    }

    public TensorInfo info(String name, String dtype, long... shape) throws CheckpointException {
      TensorInfo t = tensors.get(name);
      if (t == null) {
        throw new CheckpointException(file, "missing tensor " + name + " (has " + tensors.keySet() + ")");
      }
      if (!t.dtype.equals(dtype)) {
        throw new CheckpointException(file, "tensor " + name + " has dtype " + t.dtype + ", expected " + dtype);
      }
      if (!Arrays.equals(t.shape, shape)) {
        throw new CheckpointException(file, "tensor " + name + " has shape " + Arrays.toString(t.shape)
            + ", expected " + Arrays.toString(shape));
      }
      return t;
    }

    public float[] f32(String name, long... shape) throws CheckpointException {
      TensorInfo t = info(name, "F32", shape);
      float[] out = new float[Math.toIntExact(t.elements())];
      bytes(t).asFloatBuffer().get(out);
      return out;
    }

    /** F32 tensor stored (rows, cols), returned transposed as a row-major (cols, rows) array. */
    public float[] f32Transposed(String name, int rows, int cols) throws CheckpointException {
      float[] a = f32(name, rows, cols);
      float[] t = new float[rows * cols];
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
          t[c * rows + r] = a[r * cols + c];
        }
      }
      return t;
    }

    public long[] i64(String name, long... shape) throws CheckpointException {
      TensorInfo t = info(name, "I64", shape);
      long[] out = new long[Math.toIntExact(t.elements())];
      bytes(t).asLongBuffer().get(out);
      return out;
    }

    private ByteBuffer bytes(TensorInfo t) {
      return data.duplicate().position((int) t.begin).slice().order(ByteOrder.LITTLE_ENDIAN);
    }
  }

  private static int dtypeSize(String dtype) {
    switch (dtype) {
      case "F64": case "I64": case "U64":
        return 8;
      case "F32": case "I32": case "U32":
        return 4;
      case "F16": case "BF16": case "I16": case "U16":
        return 2;
      case "I8": case "U8": case "BOOL": case "F8_E4M3": case "F8_E5M2":
        return 1;
      default:
        return -1;
    }
  }

  /** Reads and validates a file: header length, JSON, every tensor's dtype, shape and byte range. */
  public static Reader read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new CheckpointException(file, "no such file");
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < 8) {
        throw new CheckpointException(file, "truncated: " + size + " bytes, too short for the 8-byte header length");
      }
      ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      while (lenBuf.hasRemaining() && ch.read(lenBuf) >= 0) {
        // read fully
      }
      long n = lenBuf.flip().getLong();
      if (n < 2 || n > MAX_HEADER || n > size - 8) {
        throw new CheckpointException(file, "header length " + n + " is impossible for a file of " + size
            + " bytes (truncated or not safetensors)");
      }
      if (size - 8 - n > Integer.MAX_VALUE) {
        throw new CheckpointException(file, "data section over 2 GiB is not supported");
      }
      ByteBuffer hb = ByteBuffer.allocate((int) n);
      while (hb.hasRemaining() && ch.read(hb) >= 0) {
        // read fully
      }
      JsonNode root;
      try {
        root = JSON.readTree(new String(hb.array(), StandardCharsets.UTF_8));
      } catch (JsonProcessingException e) {
        throw new CheckpointException(file, "header is not valid JSON: " + e.getOriginalMessage(), e);
      }
      if (root == null || !root.isObject()) {
        throw new CheckpointException(file, "header is not a JSON object");
      }
      long dataLen = size - 8 - n;
      Map<String, TensorInfo> tensors = new LinkedHashMap<>();
      Map<String, String> metadata = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getKey().equals("__metadata__")) {
          if (!e.getValue().isObject()) {
            throw new CheckpointException(file, "__metadata__ is not an object");
          }
          e.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
          continue;
        }
        tensors.put(e.getKey(), parseTensor(file, e.getKey(), e.getValue(), dataLen));
      }
      ByteBuffer data = ch.map(FileChannel.MapMode.READ_ONLY, 8 + n, dataLen);
      return new Reader(file, data, tensors, metadata);
    }
  }

  private static TensorInfo parseTensor(Path file, String name, JsonNode t, long dataLen) throws CheckpointException {
    JsonNode dt = t.get("dtype");
    JsonNode sh = t.get("shape");
    JsonNode off = t.get("data_offsets");
    if (dt == null || !dt.isTextual() || sh == null || !sh.isArray() || off == null || !off.isArray()
        || off.size() != 2) {
      throw new CheckpointException(file, "tensor " + name + ": header entry needs dtype, shape and two data_offsets");
    }
    int es = dtypeSize(dt.asText());
    if (es < 0) {
      throw new CheckpointException(file, "tensor " + name + ": unknown dtype " + dt.asText());
    }
    long[] shape = new long[sh.size()];
    long elements = 1;
    for (int i = 0; i < shape.length; i++) {
      if (!sh.get(i).canConvertToLong() || sh.get(i).asLong() < 0) {
        throw new CheckpointException(file, "tensor " + name + ": bad shape " + sh);
      }
      shape[i] = sh.get(i).asLong();
      elements = Math.multiplyExact(elements, shape[i]);
    }
    long begin = off.get(0).asLong();
    long end = off.get(1).asLong();
    if (begin < 0 || end < begin) {
      throw new CheckpointException(file, "tensor " + name + ": bad data_offsets " + off);
    }
    if (end - begin != elements * es) {
      throw new CheckpointException(file, "tensor " + name + ": data_offsets span " + (end - begin)
          + " bytes but shape " + Arrays.toString(shape) + " of " + dt.asText() + " needs " + elements * es);
    }
    if (end > dataLen) {
      throw new CheckpointException(file, "truncated: tensor " + name + " ends at data byte " + end
          + " but the file holds only " + dataLen + " data bytes");
    }
    return new TensorInfo(name, dt.asText(), shape, begin, end);
  }
}
