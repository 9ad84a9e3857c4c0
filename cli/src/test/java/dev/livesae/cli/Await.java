package dev.livesae.cli;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Test helper: poll a condition until it holds or a deadline passes. */
final class Await {
    private Await() {
    }

    /** Polls {@code condition} every 100 ms until true; fails naming {@code what} after {@code timeout}. */
    static void until(Duration timeout, String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting until " + what);
            }
            Thread.sleep(100);
        }
    }
}
