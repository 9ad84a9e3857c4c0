package dev.livesae.engine.bench;

import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The SAE shape every trainer benchmark takes ({@code --d --n --k --batch}), as a picocli mixin. */
public final class SaeShapeOptions {
  @Option(names = "--d", defaultValue = "768", description = "Input width d_in (default: ${DEFAULT-VALUE}).")
  public int d;

  @Option(names = "--n", defaultValue = "24576", description = "Number of latents d_sae (default: ${DEFAULT-VALUE}).")
  public int n;

  @Option(names = "--k", defaultValue = "32", description = "Latents kept per token (default: ${DEFAULT-VALUE}).")
  public int k;

  @Option(names = "--batch", defaultValue = "4096", description = "Rows (tokens) per training step (default: ${DEFAULT-VALUE}).")
  public int batch;

  /** Rejects a bad shape with a message naming the flag; {@code minBatch} is the smallest --batch the benchmark runs. */
  public void validate(CommandLine commandLine, int minBatch) {
    require(commandLine, d >= 1, "--d must be >= 1 (got " + d + ")");
    require(commandLine, n >= 1, "--n must be >= 1 (got " + n + ")");
    require(commandLine, k >= 1 && k <= n, "--k must be in [1, --n] (got " + k + ")");
    require(commandLine, batch >= minBatch, "--batch must be >= " + minBatch + " (got " + batch + ")");
    require(commandLine, (long) d * n <= Integer.MAX_VALUE,
        "--d x --n must be <= " + Integer.MAX_VALUE + " (got " + (long) d * n + ")");
  }

  private static void require(CommandLine commandLine, boolean ok, String message) {
    if (!ok) {
      throw new CommandLine.ParameterException(commandLine, message);
    }
  }
}
