package dev.livesae.engine;

/**
 * Top-k codes of a batch. {@code indices}/{@code values} are row-major [rows, k], sorted per row by value
 * descending (ties: lower index first); a value of 0 means "not firing".
 * {@code reconError[r] = ||x - x_hat||^2}, {@code centeredSqNorm[r] = ||x - b_dec||^2}, both in original units.
 */
public record TopKCodes(int rows, int k, int[] indices, float[] values, float[] reconError, float[] centeredSqNorm) {
  public TopKCodes {
    if (rows < 0) {
      throw new IllegalArgumentException("TopKCodes.rows must be >= 0 (got " + rows + ")");
    }
    if (k < 1) {
      throw new IllegalArgumentException("TopKCodes.k must be >= 1 (got " + k + ")");
    }
    check("indices", indices == null ? -1 : indices.length, (long) rows * k);
    check("values", values == null ? -1 : values.length, (long) rows * k);
    if (reconError != null) {
      check("reconError", reconError.length, rows);
    }
    if (centeredSqNorm != null) {
      check("centeredSqNorm", centeredSqNorm.length, rows);
    }
  }

  private static void check(String field, long got, long want) {
    if (got != want) {
      throw new IllegalArgumentException("TopKCodes." + field + " length must be " + want + " (got " + got + ")");
    }
  }
}
