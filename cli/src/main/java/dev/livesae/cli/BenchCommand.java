package dev.livesae.cli;

import dev.livesae.engine.bench.TrainerBench;
import dev.livesae.monitor.bench.MonitorBench;
import dev.livesae.sources.bench.InterventionBench;
import dev.livesae.sources.bench.ProducerBench;
import dev.livesae.trainer.bench.KafkaTrainerBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code sae bench}: the benchmarks; each prints figures and, as its last line, one JSON object. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks. Each prints progress, then one JSON object with its figures as the last line.",
        subcommands = {WireBench.class, TrainerBench.class, KafkaTrainerBench.class, ProducerBench.class, MonitorBench.class, InterventionBench.class})
public final class BenchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
