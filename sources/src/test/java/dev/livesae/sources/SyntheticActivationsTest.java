package dev.livesae.sources;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticActivationsTest {

    @TempDir
    Path dir;

    @Test
    void sameSeedGivesIdenticalDictionaryAndRowsOtherSeedDoesNot() {
        SyntheticConfig c = SyntheticConfig.defaults();
        SyntheticActivations a = new SyntheticActivations(c, 100);
        SyntheticActivations b = new SyntheticActivations(c, 100);
        assertThat(a.dictionary()).containsExactly(b.dictionary());
        assertThat(a.next(60).activations()).containsExactly(b.next(60).activations());
        assertThat(a.next(60).rows()).isEqualTo(40);
        assertThat(a.next(60)).isNull();
        SyntheticActivations other = new SyntheticActivations(new SyntheticConfig(512, 64, 1.0, 8, 1.0, 0.01, 43), 10);
        assertThat(other.dictionary()).isNotEqualTo(a.dictionary());
    }

    @Test
    void dictionaryRowsAreUnitNormAndWrittenAsNpy() {
        SyntheticActivations s = new SyntheticActivations(new SyntheticConfig(32, 16, 1.0, 3, 1.0, 0.0, 1), -1);
        float[] d = s.dictionary();
        for (int i = 0; i < 32; i++) {
            double n = 0;
            for (int j = 0; j < 16; j++) {
                n += d[i * 16 + j] * d[i * 16 + j];
            }
            assertThat(n).isCloseTo(1.0, within(1e-5));
        }
        Path f = dir.resolve("dict.npy");
        s.writeDictionary(f);
        try (Npy.Reader r = Npy.open(f)) {
            assertThat(r.header().rows()).isEqualTo(32);
            assertThat(r.dIn()).isEqualTo(16);
        }
        assertThat(Npy.readAll(f)).containsExactly(d);
    }

    @Test
    void featuresFireWithTheirPowerLawProbabilitiesAndMagnitudes() {
        int m = 8;
        int d = 1024;
        SyntheticActivations s = new SyntheticActivations(new SyntheticConfig(m, d, 1.0, 2.0, 1.0, 0.0, 5), -1);
        double[] p = s.firingProbabilities();
        double sum = 0;
        for (int i = 0; i < m; i++) {
            sum += p[i];
            if (i > 0) {
                assertThat(p[i]).isLessThan(p[i - 1]);
            }
        }
        assertThat(sum).isCloseTo(2.0, within(1e-9));
        assertThat(p[0] / p[3]).isCloseTo(4.0, within(1e-9)); // (i+1)^-1

        float[] dict = s.dictionary();
        int rows = 10_000;
        float[] x = s.next(rows).activations();
        int[] fired = new int[m];
        double magnitudeSum = 0;
        int magnitudeCount = 0;
        // exact magnitudes without crosstalk: a = (D D^T)^-1 D x (the dictionary's rows are independent, noise is 0)
        double[][] inv = inverseGram(dict, m, d);
        for (int r = 0; r < rows; r++) {
            double[] dots = new double[m];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < d; j++) {
                    dots[i] += x[r * d + j] * dict[i * d + j];
                }
            }
            for (int i = 0; i < m; i++) {
                double a = 0;
                for (int l = 0; l < m; l++) {
                    a += inv[i][l] * dots[l];
                }
                if (a > 0.25) {
                    fired[i]++;
                    magnitudeSum += a;
                    magnitudeCount++;
                }
            }
        }
        for (int i = 0; i < m; i++) {
            assertThat(fired[i] / (double) rows).as("firing rate of feature %d", i).isCloseTo(p[i], within(0.02));
        }
        assertThat(magnitudeSum / magnitudeCount).isCloseTo(1.0, within(0.01)); // uniform [0.5, 1.5]: mean 1, standard error 0.002 over ~20,000 firings
    }

    /** (D D^T)^-1 for the (m, d) dictionary, by Gauss-Jordan elimination with partial pivoting. */
    static double[][] inverseGram(float[] dict, int m, int d) {
        double[][] a = new double[m][2 * m];
        for (int i = 0; i < m; i++) {
            for (int l = 0; l < m; l++) {
                for (int j = 0; j < d; j++) {
                    a[i][l] += (double) dict[i * d + j] * dict[l * d + j];
                }
            }
            a[i][m + i] = 1;
        }
        for (int c = 0; c < m; c++) {
            int pivot = c;
            for (int r = c + 1; r < m; r++) {
                if (Math.abs(a[r][c]) > Math.abs(a[pivot][c])) {
                    pivot = r;
                }
            }
            double[] t = a[c];
            a[c] = a[pivot];
            a[pivot] = t;
            double f = a[c][c];
            for (int l = 0; l < 2 * m; l++) {
                a[c][l] /= f;
            }
            for (int r = 0; r < m; r++) {
                if (r != c) {
                    double g = a[r][c];
                    for (int l = 0; l < 2 * m; l++) {
                        a[r][l] -= g * a[c][l];
                    }
                }
            }
        }
        double[][] inv = new double[m][m];
        for (int i = 0; i < m; i++) {
            System.arraycopy(a[i], m, inv[i], 0, m);
        }
        return inv;
    }

    @Test
    void refusesBadConfigNamingTheField() {
        assertThatThrownBy(() -> new SyntheticConfig(0, 4, 1, 1, 1, 0, 1)).hasMessageContaining("features").hasMessageContaining("got 0");
        assertThatThrownBy(() -> new SyntheticConfig(4, 4, 1, 5, 1, 0, 1)).hasMessageContaining("meanActive");
        assertThatThrownBy(() -> new SyntheticConfig(4, 4, 1, 1, 1, -1, 1)).hasMessageContaining("noiseStd");
        assertThatThrownBy(() -> new SyntheticActivations(SyntheticConfig.defaults(), -5)).hasMessageContaining("rows");
    }
}
