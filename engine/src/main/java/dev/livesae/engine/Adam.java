package dev.livesae.engine;

import java.nio.FloatBuffer;

/**
 * Adam (Kingma and Ba) with PyTorch's update order:
 * {@code m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= (lr / (1-b1^t)) * m / (sqrt(v) / sqrt(1-b2^t) + eps)}.
 * Defaults b1 = 0.9, b2 = 0.999, eps = 6.25e-10 (Gao et al.). Dense over all elements: parameters whose
 * gradient is zero in this step still move with their momentum, exactly as torch.optim.Adam.
 * The fast path splits the elements over threads (element-wise, so bit-identical to {@link #reference}).
 */
final class Adam {
  static final float BETA1 = 0.9f;
  static final float BETA2 = 0.999f;
  static final float EPS = 6.25e-10f;

  private Adam() {
  }

  /** One update of p[0..len) at 1-based step t. */
  static void step(float[] p, float[] g, float[] m, float[] v, int len, float lr, long t) {
    float stepSize = (float) (lr / (1.0 - Math.pow(BETA1, t)));
    float bc2Sqrt = (float) Math.sqrt(1.0 - Math.pow(BETA2, t));
    Parallel.forChunks(len, 1 << 16, (c, from, to) -> update(p, g, m, v, from, to, stepSize, bc2Sqrt));
  }

  private static void update(float[] p, float[] g, float[] m, float[] v, int from, int to, float stepSize,
                             float bc2Sqrt) {
    for (int q = from; q < to; q++) {
      float gq = g[q];
      float mq = BETA1 * m[q] + (1f - BETA1) * gq;
      float vq = BETA2 * v[q] + (1f - BETA2) * gq * gq;
      m[q] = mq;
      v[q] = vq;
      p[q] -= stepSize * mq / ((float) Math.sqrt(vq) / bc2Sqrt + EPS);
    }
  }

  /**
   * As {@link #step}, and each chunk of updated parameters is also written to {@code mirror} (same indices)
   * while it is in cache: the native copy of W_enc that the encoder gemm reads, kept current without a
   * separate full upload per step. The parameters are bit-identical to {@link #step}'s.
   */
  static void step(float[] p, float[] g, float[] m, float[] v, int len, float lr, long t, FloatBuffer mirror) {
    if (mirror.capacity() < len) {
      throw new IllegalArgumentException("mirror capacity must be >= len " + len + " (got " + mirror.capacity() + ")");
    }
    float stepSize = (float) (lr / (1.0 - Math.pow(BETA1, t)));
    float bc2Sqrt = (float) Math.sqrt(1.0 - Math.pow(BETA2, t));
    Parallel.forChunks(len, 1 << 16, (c, from, to) -> {
      update(p, g, m, v, from, to, stepSize, bc2Sqrt);
      mirror.put(from, p, from, to - from); // absolute bulk put: no shared position, safe across threads
    });
  }

  /** Reference: the same formula on one thread. */
  static void reference(float[] p, float[] g, float[] m, float[] v, int len, float lr, long t) {
    float stepSize = (float) (lr / (1.0 - Math.pow(BETA1, t)));
    float bc2Sqrt = (float) Math.sqrt(1.0 - Math.pow(BETA2, t));
    update(p, g, m, v, 0, len, stepSize, bc2Sqrt);
  }
}
