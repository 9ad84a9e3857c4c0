package dev.livesae.monitor;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs Debian's {@code promtool} / finds {@code prometheus}; tests skip with a clear message when missing. */
final class Promtool {
    static final Path RULES_DIR = Path.of("..", "docker", "prometheus").toAbsolutePath().normalize();

    record Result(int exit, String output) {
    }

    private Promtool() {
    }

    static Path binary(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    static Path require(String name) {
        Path p = binary(name);
        assumeTrue(p != null, name + " not found on PATH: install the Debian package 'prometheus' "
                + "(apt-get install -y prometheus), as .ci/run does");
        return p;
    }

    static Result run(Path workDir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(require("promtool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("promtool " + String.join(" ", args) + " did not finish in 60 s");
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    /** {@code promtool check metrics} reading the exposition text on stdin. */
    static Result checkMetrics(String exposition) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(require("promtool").toString(), "check", "metrics").redirectErrorStream(true).start();
        try (var in = p.getOutputStream()) {
            in.write(exposition.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("promtool check metrics did not finish in 60 s");
        }
        return new Result(p.exitValue(), out);
    }
}
