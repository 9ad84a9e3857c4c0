package dev.livesae.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Test helper: a class of this test class path run in a child JVM (so a test can SIGKILL it), output to a log file. */
final class ChildJvm {
    private ChildJvm() {
    }

    static Process start(String mainClass, String heap, Path log, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + heap, "-XX:TieredStopAtLevel=1", "--add-opens=java.base/java.nio=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }
}
