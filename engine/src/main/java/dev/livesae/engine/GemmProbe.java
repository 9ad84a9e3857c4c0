package dev.livesae.engine;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Times fp32 gemms on the BLAS the engine uses, for benchmarks to print beside their own figures: the encoder's
 * gemm alone (the same tiles {@link TopKEncoder} multiplies, nothing else) and a plain square sgemm as the
 * machine's measured peak. Each figure is the best of {@code reps} runs, so a busy neighbour inflates it less.
 */
public final class GemmProbe {
  private GemmProbe() {
  }

  /** Seconds of the encoder gemm {@code (rows, d) x (d, n)} in {@link TopKEncoder}'s tiles, best of reps. */
  public static double encoderGemmSeconds(int d, int n, int rows, int reps) {
    int tile = Math.min(rows, TopKEncoder.blockRows(n));
    try (INDArray w = Nd4j.rand(DataType.FLOAT, n, d); INDArray x = Nd4j.rand(DataType.FLOAT, tile, d);
         INDArray pre = Nd4j.create(DataType.FLOAT, tile, n)) {
      double best = Double.POSITIVE_INFINITY;
      for (int r = 0; r < reps; r++) {
        long t0 = System.nanoTime();
        for (int r0 = 0; r0 < rows; r0 += tile) {
          int br = Math.min(tile, rows - r0);
          if (br == tile) {
            Nd4j.gemm(x, w, pre, false, true, 1.0, 0.0);
          } else {
            try (INDArray xs = Nd4j.rand(DataType.FLOAT, br, d); INDArray ps = Nd4j.create(DataType.FLOAT, br, n)) {
              Nd4j.gemm(xs, w, ps, false, true, 1.0, 0.0);
            }
          }
        }
        best = Math.min(best, (System.nanoTime() - t0) / 1e9);
      }
      return best;
    }
  }

  /** GFLOP/s of a plain (size, size) x (size, size) sgemm, best of reps. */
  public static double peakGflops(int size, int reps) {
    try (INDArray a = Nd4j.rand(DataType.FLOAT, size, size); INDArray b = Nd4j.rand(DataType.FLOAT, size, size);
         INDArray c = Nd4j.create(DataType.FLOAT, size, size)) {
      double best = Double.POSITIVE_INFINITY;
      for (int r = 0; r < reps; r++) {
        long t0 = System.nanoTime();
        Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
        best = Math.min(best, (System.nanoTime() - t0) / 1e9);
      }
      return 2.0 * size * size * size / best / 1e9;
    }
  }

  /**
   * A warning when {@code OPENBLAS_CORETYPE} forces AVX2-only kernels (Haswell, Zen) on a CPU with AVX-512, which
   * halves the gemm rate on the development machine (docs/engine.md, "BLAS kernels"); else null.
   */
  public static String coreTypeWarning() {
    String forced = System.getenv("OPENBLAS_CORETYPE");
    if (forced == null || !(forced.equalsIgnoreCase("haswell") || forced.equalsIgnoreCase("zen"))) {
      return null;
    }
    try {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("flags") && (" " + line + " ").contains(" avx512f ")) {
          return "OPENBLAS_CORETYPE=" + forced + " forces AVX2 kernels on a CPU with AVX-512; unset it (OpenBLAS "
              + "detects the CPU) or set SkylakeX for the AVX-512 sgemm kernel";
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      // not Linux: no check
    }
    return null;
  }

  /** The CPU model from /proc/cpuinfo, or os.arch where there is none. */
  public static String cpuModel() {
    try {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      // not Linux: fall through
    }
    return System.getProperty("os.arch");
  }

  /**
   * The OpenBLAS kernel family: {@code OPENBLAS_CORETYPE} when set (the {@code sae} launcher sets it, see
   * docs/engine.md), else OpenBLAS's own detection, which ND4J does not expose.
   */
  public static String openBlasCoreType() {
    String forced = System.getenv("OPENBLAS_CORETYPE");
    return forced != null && !forced.isBlank() ? forced : "auto-detected (OPENBLAS_CORETYPE unset; OPENBLAS_VERBOSE=2 prints it)";
  }
}
