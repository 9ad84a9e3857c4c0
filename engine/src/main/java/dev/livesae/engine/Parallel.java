package dev.livesae.engine;

import java.util.stream.IntStream;

/**
 * Runs a body over fixed-size chunks of a range, possibly on several threads. Chunk boundaries depend only
 * on the range and the grain, never on the number of threads, and bodies write disjoint outputs, so results
 * are bit-identical whatever the scheduling. Reductions are done by the caller over per-chunk partials in
 * chunk order.
 */
final class Parallel {
  /** Whether chunks may run on the common fork-join pool; tests flip it to prove results do not change. */
  static volatile boolean threads = !"false".equals(System.getProperty("livesae.engine.threads"));

  @FunctionalInterface
  interface Body {
    void run(int chunk, int from, int to);
  }

  private Parallel() {
  }

  static int chunks(int n, int grain) {
    return (n + grain - 1) / grain;
  }

  static void forChunks(int n, int grain, Body body) {
    int chunks = chunks(n, grain);
    if (!threads || chunks <= 1) {
      for (int c = 0; c < chunks; c++) {
        body.run(c, c * grain, Math.min(n, (c + 1) * grain));
      }
      return;
    }
    IntStream.range(0, chunks).parallel().forEach(c -> body.run(c, c * grain, Math.min(n, (c + 1) * grain)));
  }
}
