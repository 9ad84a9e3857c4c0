package dev.livesae.engine;

import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Encoder of a TopK SAE: {@code pre = xc · W_enc^T + b_enc} with xc: (B, d) the centred input (x - b_pre),
 * W_enc: (n, d) one row per latent, then ReLU and top-k per row; optionally also the top-kAux values among
 * a list of dead latents (for AuxK).
 * <p>Fast path: {@code Nd4j.gemm} over blocks of rows into preallocated native buffers (never a full (B, n)
 * matrix), then per row on two threads: copy the row out of native memory, {@link TopKSelect}.
 * {@link #reference} is plain Java loops + full sort.
 * Not thread-safe: one instance per thread (an {@link Sae} creates one per call).
 */
final class TopKEncoder implements AutoCloseable {
  private final int d;
  private final int n;
  private final int blockRows;
  private final Map<Integer, Block> blocks = new HashMap<>();
  /** Per worker thread: a selector (grown when k or kAux grows) and one row of pre-activations. */
  private final ThreadLocal<Work> work = ThreadLocal.withInitial(Work::new);

  private static final class Work {
    TopKSelect sel;
    float[] row = new float[0];
  }

  private record Block(INDArray x, INDArray pre, FloatPointer xPtr, FloatBuffer preBuf) {
  }

  TopKEncoder(int d, int n) {
    this.d = d;
    this.n = n;
    this.blockRows = blockRows(n);
  }

  /** Rows per gemm tile: a (tile, n) fp32 output of about 32 MB, 16 to 512 rows. */
  static int blockRows(int n) {
    return Math.max(16, Math.min(512, (1 << 23) / n));
  }

  /** A native (n, d) matrix holding the encoder rows. */
  static INDArray upload(float[] wEncRows, int n, int d) {
    INDArray w = Nd4j.create(DataType.FLOAT, n, d);
    upload(wEncRows, w);
    return w;
  }

  /** The native matrix's storage, for writers that keep it current themselves (see Adam's mirror). */
  static FloatBuffer buffer(INDArray w) {
    return w.data().asNioFloat();
  }

  /** Copies the encoder rows (n, d) into an existing native matrix; call after every update. */
  static void upload(float[] wEncRows, INDArray w) {
    new FloatPointer(w.data().addressPointer()).put(wEncRows, 0, (int) w.length());
  }

  private Block block(int rows) {
    return blocks.computeIfAbsent(rows, r -> {
      INDArray x = Nd4j.create(DataType.FLOAT, r, d);
      INDArray pre = Nd4j.create(DataType.FLOAT, r, n);
      return new Block(x, pre, new FloatPointer(x.data().addressPointer()), pre.data().asNioFloat());
    });
  }

  /**
   * @param xc        centred input (rows, d)
   * @param wEnc      native encoder matrix (n, d) from {@link #upload}
   * @param idx       out: (rows, k) latent indices
   * @param val       out: (rows, k) values, ReLU'd
   * @param dead      ascending dead latents for AuxK, or null
   * @param kAux      number of AuxK latents per row (ignored if dead is null)
   * @param nanos     out: nanos[0] += time in the input copy and gemm, nanos[1] += time in copying the
   *                  pre-activations out of native memory and selecting
   */
  void encode(float[] xc, int rows, INDArray wEnc, float[] bEnc, int k, int[] idx, float[] val,
              int[] dead, int deadCount, int kAux, int[] auxIdx, float[] auxVal, long[] nanos) {
    for (int r0 = 0; r0 < rows; r0 += blockRows) {
      int br = Math.min(blockRows, rows - r0);
      long t0 = System.nanoTime();
      Block b = block(br);
      b.xPtr.position(0).put(xc, r0 * d, br * d);
      Nd4j.gemm(b.x, wEnc, b.pre, false, true, 1.0, 0.0);
      long t1 = System.nanoTime();
      final int base = r0;
      final FloatBuffer pre = b.preBuf;
      // each thread copies its rows out of native memory one at a time (absolute bulk gets, no shared position)
      // and selects while the row is in cache: no (tile, n) heap copy, and the copy runs on both threads
      Parallel.forChunks(br, 8, (c, from, to) -> {
        Work w = work(Math.max(k, dead == null ? 1 : kAux));
        float[] row = w.row;
        for (int r = from; r < to; r++) {
          pre.get(r * n, row, 0, n);
          w.sel.selectAll(row, 0, bEnc, n, k, idx, val, (base + r) * k);
          if (dead != null) {
            w.sel.selectAmong(row, 0, bEnc, dead, deadCount, kAux, auxIdx, auxVal, (base + r) * kAux);
          }
        }
      });
      nanos[0] += t1 - t0;
      nanos[1] += System.nanoTime() - t1;
    }
  }

  private Work work(int capacity) {
    Work w = work.get();
    if (w.sel == null || w.sel.capacity() < capacity) {
      w.sel = new TopKSelect(capacity);
    }
    if (w.row.length != n) {
      w.row = new float[n];
    }
    return w;
  }

  /** Plain reference: dot products in a loop, full sort per row. Same outputs as {@link #encode}. */
  static void reference(float[] xc, int rows, float[] wEncRows, float[] bEnc, int d, int n, int k, int[] idx,
                        float[] val, int[] dead, int deadCount, int kAux, int[] auxIdx, float[] auxVal) {
    float[] pre = new float[n];
    int[] all = new int[n];
    for (int i = 0; i < n; i++) {
      all[i] = i;
    }
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < n; i++) {
        float s = 0f;
        for (int c = 0; c < d; c++) {
          s += xc[r * d + c] * wEncRows[i * d + c];
        }
        pre[i] = s;
      }
      TopKSelect.reference(pre, 0, bEnc, all, n, k, idx, val, r * k);
      if (dead != null) {
        TopKSelect.reference(pre, 0, bEnc, dead, deadCount, kAux, auxIdx, auxVal, r * kAux);
      }
    }
  }

  @Override
  public void close() {
    for (Block b : blocks.values()) {
      b.x.close();
      b.pre.close();
    }
    blocks.clear();
  }
}
