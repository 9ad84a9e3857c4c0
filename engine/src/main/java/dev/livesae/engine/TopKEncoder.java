package dev.livesae.engine;

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
 * matrix), then {@link TopKSelect} per row on two threads. {@link #reference} is plain Java loops + full sort.
 * Not thread-safe: one instance per thread (an {@link Sae} creates one per call).
 */
final class TopKEncoder implements AutoCloseable {
  private final int d;
  private final int n;
  private final int blockRows;
  private final Map<Integer, Block> blocks = new HashMap<>();
  private float[] preHost;

  private record Block(INDArray x, INDArray pre, FloatPointer xPtr, FloatPointer prePtr) {
  }

  TopKEncoder(int d, int n) {
    this.d = d;
    this.n = n;
    this.blockRows = Math.max(16, Math.min(512, (1 << 23) / n));
  }

  /** A native (n, d) matrix holding the encoder rows. */
  static INDArray upload(float[] wEncRows, int n, int d) {
    INDArray w = Nd4j.create(DataType.FLOAT, n, d);
    upload(wEncRows, w);
    return w;
  }

  /** Copies the encoder rows (n, d) into an existing native matrix; call after every update. */
  static void upload(float[] wEncRows, INDArray w) {
    new FloatPointer(w.data().addressPointer()).put(wEncRows, 0, (int) w.length());
  }

  private Block block(int rows) {
    return blocks.computeIfAbsent(rows, r -> {
      INDArray x = Nd4j.create(DataType.FLOAT, r, d);
      INDArray pre = Nd4j.create(DataType.FLOAT, r, n);
      return new Block(x, pre, new FloatPointer(x.data().addressPointer()),
          new FloatPointer(pre.data().addressPointer()));
    });
  }

  /**
   * @param xc        centred input (rows, d)
   * @param wEnc      native encoder matrix (n, d) from {@link #upload}
   * @param idx       out: (rows, k) latent indices
   * @param val       out: (rows, k) values, ReLU'd
   * @param dead      ascending dead latents for AuxK, or null
   * @param kAux      number of AuxK latents per row (ignored if dead is null)
   * @param nanos     out: nanos[0] += time in gemm and copies, nanos[1] += time in selection
   */
  void encode(float[] xc, int rows, INDArray wEnc, float[] bEnc, int k, int[] idx, float[] val,
              int[] dead, int deadCount, int kAux, int[] auxIdx, float[] auxVal, long[] nanos) {
    if (preHost == null || preHost.length < blockRows * n) {
      preHost = new float[Math.min(rows, blockRows) * n];
    }
    for (int r0 = 0; r0 < rows; r0 += blockRows) {
      int br = Math.min(blockRows, rows - r0);
      if (preHost.length < br * n) {
        preHost = new float[br * n];
      }
      long t0 = System.nanoTime();
      Block b = block(br);
      b.xPtr.position(0).put(xc, r0 * d, br * d);
      Nd4j.gemm(b.x, wEnc, b.pre, false, true, 1.0, 0.0);
      b.prePtr.position(0).get(preHost, 0, br * n);
      long t1 = System.nanoTime();
      final int base = r0;
      final float[] pre = preHost;
      Parallel.forChunks(br, 8, (c, from, to) -> {
        TopKSelect sel = new TopKSelect(Math.max(k, dead == null ? 1 : kAux));
        for (int r = from; r < to; r++) {
          sel.selectAll(pre, r * n, bEnc, n, k, idx, val, (base + r) * k);
          if (dead != null) {
            sel.selectAmong(pre, r * n, bEnc, dead, deadCount, kAux, auxIdx, auxVal, (base + r) * kAux);
          }
        }
      });
      nanos[0] += t1 - t0;
      nanos[1] += System.nanoTime() - t1;
    }
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
