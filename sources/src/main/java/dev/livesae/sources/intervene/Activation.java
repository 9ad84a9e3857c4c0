package dev.livesae.sources.intervene;

import java.util.Arrays;
import java.util.Objects;

/**
 * An SAE's activation function, applied to one row of pre-activations {@code pre = W_enc (x - b_dec) + b_enc}
 * in place, leaving the codes z (0 where a latent does not fire).
 * <ul>
 *   <li>{@link TopK}: z = TopK(ReLU(pre)), the k largest (ties: lower index first, as the engine's encoder);</li>
 *   <li>{@link JumpRelu}: z_i = pre_i if pre_i &gt; threshold_i (and &gt; 0), else 0 (SAELens' {@code jumprelu},
 *       what BatchTopK and Matryoshka BatchTopK export). No cap on latents per row (the engine's encoder keeps at
 *       most its code slots, 256 by default, for the codes topic).</li>
 * </ul>
 * Only encoding depends on it: the intervention math works on z whatever made it.
 */
public sealed interface Activation permits Activation.TopK, Activation.JumpRelu {

    /** Replaces {@code pre[offset, offset + n)} by the codes. */
    void apply(float[] pre, int offset, int n);

    /** SAELens' architecture name. */
    String architecture();

    record TopK(int k) implements Activation {
        public TopK {
            if (k < 1) {
                throw new IllegalArgumentException("TopK.k must be >= 1 (got " + k + ")");
            }
        }

        @Override
        public void apply(float[] pre, int offset, int n) {
            int keep = Math.min(k, n);
            // indices of the kept latents, as a min-heap by (value, -index) so the weakest sits at the root
            int[] heap = new int[keep];
            int size = 0;
            for (int i = 0; i < n; i++) {
                float v = pre[offset + i];
                if (!(v > 0f)) {
                    continue;
                }
                if (size < keep) {
                    heap[size] = i;
                    siftUp(pre, offset, heap, size++);
                } else if (weaker(pre, offset, heap[0], i)) {
                    heap[0] = i;
                    siftDown(pre, offset, heap, size);
                }
            }
            float[] kept = new float[size];
            for (int s = 0; s < size; s++) {
                kept[s] = pre[offset + heap[s]];
            }
            Arrays.fill(pre, offset, offset + n, 0f);
            for (int s = 0; s < size; s++) {
                pre[offset + heap[s]] = kept[s];
            }
        }

        /** True if latent a ranks below latent b (smaller value, or equal value and higher index). */
        private static boolean weaker(float[] pre, int off, int a, int b) {
            float va = pre[off + a];
            float vb = pre[off + b];
            return va < vb || (va == vb && a > b);
        }

        private static void siftUp(float[] pre, int off, int[] h, int i) {
            while (i > 0) {
                int p = (i - 1) / 2;
                if (!weaker(pre, off, h[i], h[p])) {
                    return;
                }
                int t = h[i];
                h[i] = h[p];
                h[p] = t;
                i = p;
            }
        }

        private static void siftDown(float[] pre, int off, int[] h, int size) {
            int i = 0;
            while (true) {
                int l = 2 * i + 1;
                int r = l + 1;
                int m = i;
                if (l < size && weaker(pre, off, h[l], h[m])) {
                    m = l;
                }
                if (r < size && weaker(pre, off, h[r], h[m])) {
                    m = r;
                }
                if (m == i) {
                    return;
                }
                int t = h[i];
                h[i] = h[m];
                h[m] = t;
                i = m;
            }
        }

        @Override
        public String architecture() {
            return "topk";
        }
    }

    record JumpRelu(float[] threshold) implements Activation {
        public JumpRelu {
            Objects.requireNonNull(threshold, "threshold");
            threshold = threshold.clone();
            for (int i = 0; i < threshold.length; i++) {
                if (!Float.isFinite(threshold[i])) {
                    throw new IllegalArgumentException("JumpRelu.threshold[" + i + "] must be finite (got " + threshold[i] + ")");
                }
            }
        }

        @Override
        public void apply(float[] pre, int offset, int n) {
            if (n != threshold.length) {
                throw new IllegalArgumentException("JumpRelu has " + threshold.length + " thresholds, row has " + n + " latents");
            }
            for (int i = 0; i < n; i++) {
                float v = pre[offset + i];
                pre[offset + i] = v > threshold[i] && v > 0f ? v : 0f;
            }
        }

        @Override
        public String architecture() {
            return "jumprelu";
        }
    }
}
