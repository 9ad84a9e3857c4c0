package dev.livesae.trainer;

import java.util.Random;

/**
 * A plain dense TopK SAE (Gao et al. 2024) written with straightforward loops, as the yardstick of the quality
 * test: no sparse kernels, no AuxK, no resampling, no geometric median. Same conventions as the engine where they
 * matter for a fair comparison: inputs scaled so that E||x|| = sqrt(d) on the first batch, decoder rows kept at
 * unit norm (their gradient made orthogonal to the row), W_enc initialised to W_dec, b_enc = 0, b_dec = the
 * mean of the first batch, loss = sum ||x - x_hat||^2 / total variance of the batch, PyTorch's Adam
 * (0.9, 0.999, eps 1e-8) with linear warm-up.
 */
final class DenseTopKReference {
    final int d;
    final int n;
    final int k;
    final float[][] wEnc;
    final float[] bEnc;
    final float[][] wDec;
    final float[] bDec;
    final float scale;
    private final float lr;
    private final long warmup;
    private long t;
    private final float[][] mWEnc;
    private final float[][] vWEnc;
    private final float[][] mWDec;
    private final float[][] vWDec;
    private final float[] mBEnc;
    private final float[] vBEnc;
    private final float[] mBDec;
    private final float[] vBDec;

    DenseTopKReference(int d, int n, int k, float lr, long warmup, long seed, float[] first, int rows) {
        this.d = d;
        this.n = n;
        this.k = k;
        this.lr = lr;
        this.warmup = warmup;
        Random rnd = new Random(seed);
        wEnc = new float[n][d];
        wDec = new float[n][d];
        for (int i = 0; i < n; i++) {
            for (int q = 0; q < d; q++) {
                wDec[i][q] = (float) rnd.nextGaussian();
            }
            normalise(wDec[i]);
            wEnc[i] = wDec[i].clone();
        }
        bEnc = new float[n];
        double norms = 0;
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int q = 0; q < d; q++) {
                s += (double) first[r * d + q] * first[r * d + q];
            }
            norms += Math.sqrt(s);
        }
        scale = (float) (Math.sqrt(d) / (norms / rows));
        bDec = new float[d];
        for (int r = 0; r < rows; r++) {
            for (int q = 0; q < d; q++) {
                bDec[q] += first[r * d + q] * scale / rows;
            }
        }
        mWEnc = new float[n][d];
        vWEnc = new float[n][d];
        mWDec = new float[n][d];
        vWDec = new float[n][d];
        mBEnc = new float[n];
        vBEnc = new float[n];
        mBDec = new float[d];
        vBDec = new float[d];
    }

    static void normalise(float[] v) {
        double s = 0;
        for (float x : v) {
            s += x * x;
        }
        float inv = (float) (1 / Math.sqrt(s));
        for (int q = 0; q < v.length; q++) {
            v[q] *= inv;
        }
    }

    /** Top-k of ReLU(W_enc (x - b_dec) + b_enc) for one scaled row: fills idx and val, returns x - b_dec in xc. */
    void encode(float[] x, int off, float[] xc, int[] idx, float[] val) {
        for (int q = 0; q < d; q++) {
            xc[q] = x[off + q] - bDec[q];
        }
        float[] pre = new float[n];
        for (int i = 0; i < n; i++) {
            double s = bEnc[i];
            for (int q = 0; q < d; q++) {
                s += wEnc[i][q] * xc[q];
            }
            pre[i] = (float) s;
        }
        boolean[] taken = new boolean[n];
        for (int j = 0; j < k; j++) {
            int best = -1;
            for (int i = 0; i < n; i++) {
                if (!taken[i] && (best < 0 || pre[i] > pre[best])) {
                    best = i;
                }
            }
            taken[best] = true;
            idx[j] = best;
            val[j] = Math.max(0f, pre[best]);
        }
    }

    /** One Adam step on a batch in original units. */
    void step(float[] xOrig, int rows) {
        float[] x = new float[rows * d];
        double[] mean = new double[d];
        for (int q = 0; q < x.length; q++) {
            x[q] = xOrig[q] * scale;
            mean[q % d] += x[q] / rows;
        }
        double tv = 0;
        for (int q = 0; q < x.length; q++) {
            tv += (x[q] - mean[q % d]) * (x[q] - mean[q % d]);
        }
        float[][] gWEnc = new float[n][d];
        float[][] gWDec = new float[n][d];
        float[] gBEnc = new float[n];
        float[] gBDec = new float[d];
        float[] xc = new float[d];
        int[] idx = new int[k];
        float[] val = new float[k];
        float[] g = new float[d];
        for (int r = 0; r < rows; r++) {
            encode(x, r * d, xc, idx, val);
            for (int q = 0; q < d; q++) {
                float xhat = bDec[q];
                for (int j = 0; j < k; j++) {
                    xhat += val[j] * wDec[idx[j]][q];
                }
                g[q] = (float) (-2 * (x[r * d + q] - xhat) / tv); // dL/dx_hat
                gBDec[q] += g[q];
            }
            for (int j = 0; j < k; j++) {
                int i = idx[j];
                double dz = 0;
                for (int q = 0; q < d; q++) {
                    gWDec[i][q] += val[j] * g[q];
                    dz += g[q] * wDec[i][q];
                }
                if (val[j] > 0) { // ReLU
                    for (int q = 0; q < d; q++) {
                        gWEnc[i][q] += (float) dz * xc[q];
                        gBDec[q] -= (float) dz * wEnc[i][q]; // x - b_dec feeds the encoder
                    }
                    gBEnc[i] += (float) dz;
                }
            }
        }
        for (int i = 0; i < n; i++) { // keep the unit-norm rows on their sphere
            double par = 0;
            for (int q = 0; q < d; q++) {
                par += gWDec[i][q] * wDec[i][q];
            }
            for (int q = 0; q < d; q++) {
                gWDec[i][q] -= (float) par * wDec[i][q];
            }
        }
        t++;
        float rate = t < warmup ? lr * t / warmup : lr;
        for (int i = 0; i < n; i++) {
            adam(wEnc[i], gWEnc[i], mWEnc[i], vWEnc[i], rate);
            adam(wDec[i], gWDec[i], mWDec[i], vWDec[i], rate);
            normalise(wDec[i]);
        }
        adam(bEnc, gBEnc, mBEnc, vBEnc, rate);
        adam(bDec, gBDec, mBDec, vBDec, rate);
    }

    private void adam(float[] p, float[] grad, float[] m, float[] v, float rate) {
        double c1 = 1 - Math.pow(0.9, t);
        double c2 = 1 - Math.pow(0.999, t);
        for (int q = 0; q < p.length; q++) {
            m[q] = 0.9f * m[q] + 0.1f * grad[q];
            v[q] = 0.999f * v[q] + 0.001f * grad[q] * grad[q];
            p[q] -= (float) (rate * (m[q] / c1) / (Math.sqrt(v[q] / c2) + 1e-8));
        }
    }

    /** FVU of held-out rows (original units): sum ||x - x_hat||^2 / sum ||x - mean||^2. */
    double fvu(float[] xOrig, int rows) {
        float[] xc = new float[d];
        int[] idx = new int[k];
        float[] val = new float[k];
        float[] x = new float[d];
        double[] mean = new double[d];
        for (int q = 0; q < rows * d; q++) {
            mean[q % d] += xOrig[q] * scale / rows;
        }
        double se = 0;
        double tv = 0;
        for (int r = 0; r < rows; r++) {
            for (int q = 0; q < d; q++) {
                x[q] = xOrig[r * d + q] * scale;
            }
            encode(x, 0, xc, idx, val);
            for (int q = 0; q < d; q++) {
                double xhat = bDec[q];
                for (int j = 0; j < k; j++) {
                    xhat += val[j] * wDec[idx[j]][q];
                }
                se += (x[q] - xhat) * (x[q] - xhat);
                tv += (x[q] - mean[q]) * (x[q] - mean[q]);
            }
        }
        return se / tv;
    }
}
