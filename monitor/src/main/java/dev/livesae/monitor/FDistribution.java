package dev.livesae.monitor;

/**
 * Upper tail of Snedecor's F distribution in log space, through the regularized incomplete beta function
 * {@code I_x(a, b)}: {@code P(F(d1, d2) > f) = I_{d2 / (d2 + d1 f)}(d2 / 2, d1 / 2)}. Degrees of freedom may be
 * real (Satterthwaite) and large (10^6). {@code ln Gamma} by the Lanczos approximation (g = 7, 9 terms), the beta
 * by its continued fraction evaluated with the modified Lentz method; the log form keeps p-values far below
 * {@code Double.MIN_VALUE} (a blatant shift) as finite logarithms.
 */
final class FDistribution {
    private static final double[] LANCZOS = {0.99999999999980993, 676.5203681218851, -1259.1392167224028,
            771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7};
    private static final double HALF_LN_2PI = 0.5 * Math.log(2 * Math.PI);
    private static final double TINY = 1e-300;
    private static final double EPS = 1e-15;
    private static final int MAX_ITERATIONS = 1_000_000;

    private FDistribution() {
    }

    /** {@code ln P(F(d1, d2) > f)}; 0 for {@code f <= 0}. */
    static double logSurvival(double f, double d1, double d2) {
        if (!(d1 > 0) || !(d2 > 0) || Double.isInfinite(d1) || Double.isInfinite(d2)) {
            throw new IllegalArgumentException("F degrees of freedom must be finite and > 0 (got " + d1 + ", " + d2 + ")");
        }
        if (Double.isNaN(f)) {
            throw new IllegalArgumentException("F statistic must not be NaN");
        }
        if (f <= 0) {
            return 0.0;
        }
        if (Double.isInfinite(f)) {
            return Double.NEGATIVE_INFINITY;
        }
        // x = d2 / (d2 + d1 f) and 1 - x = d1 f / (d2 + d1 f), each computed without cancellation
        double x = d2 / (d2 + d1 * f);
        double oneMinusX = d1 * f / (d2 + d1 * f);
        return logRegularizedBeta(x, oneMinusX, d2 / 2, d1 / 2);
    }

    /** {@code P(F(d1, d2) > f)}. */
    static double survival(double f, double d1, double d2) {
        return Math.exp(logSurvival(f, d1, d2));
    }

    /** {@code ln I_x(a, b)}, given both {@code x} and {@code 1 - x}. */
    static double logRegularizedBeta(double x, double oneMinusX, double a, double b) {
        if (x <= 0) {
            return Double.NEGATIVE_INFINITY;
        }
        if (oneMinusX <= 0) {
            return 0.0;
        }
        double logFront = a * Math.log(x) + b * Math.log(oneMinusX) - logBeta(a, b);
        if (x < (a + 1) / (a + b + 2)) {
            return logFront - Math.log(a) + Math.log(continuedFraction(x, a, b));
        }
        // I_x(a, b) = 1 - I_{1-x}(b, a); here the complement is the small side
        double complement = Math.exp(logFront - Math.log(b) + Math.log(continuedFraction(oneMinusX, b, a)));
        return Math.log1p(-Math.min(1.0, complement));
    }

    static double logBeta(double a, double b) {
        return logGamma(a) + logGamma(b) - logGamma(a + b);
    }

    /** {@code ln Gamma(x)} for {@code x > 0}. */
    static double logGamma(double x) {
        if (!(x > 0)) {
            throw new IllegalArgumentException("logGamma needs x > 0 (got " + x + ")");
        }
        if (x < 0.5) {
            // reflection: Gamma(x) Gamma(1 - x) = pi / sin(pi x)
            return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
        }
        double z = x - 1;
        double sum = LANCZOS[0];
        for (int i = 1; i < LANCZOS.length; i++) {
            sum += LANCZOS[i] / (z + i);
        }
        double t = z + 7.5;
        return HALF_LN_2PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
    }

    /** The continued fraction of {@code I_x(a, b)} (converges fast for {@code x < (a + 1) / (a + b + 2)}). */
    private static double continuedFraction(double x, double a, double b) {
        double qab = a + b;
        double qap = a + 1;
        double qam = a - 1;
        double c = 1;
        double d = 1 - qab * x / qap;
        d = Math.abs(d) < TINY ? TINY : d;
        d = 1 / d;
        double h = d;
        for (int m = 1; m <= MAX_ITERATIONS; m++) {
            int m2 = 2 * m;
            double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
            d = 1 + aa * d;
            d = Math.abs(d) < TINY ? TINY : d;
            c = 1 + aa / c;
            c = Math.abs(c) < TINY ? TINY : c;
            d = 1 / d;
            h *= d * c;
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
            d = 1 + aa * d;
            d = Math.abs(d) < TINY ? TINY : d;
            c = 1 + aa / c;
            c = Math.abs(c) < TINY ? TINY : c;
            d = 1 / d;
            double delta = d * c;
            h *= delta;
            if (Math.abs(delta - 1) < EPS) {
                return h;
            }
        }
        throw new IllegalStateException("incomplete beta did not converge for x=" + x + ", a=" + a + ", b=" + b);
    }
}
