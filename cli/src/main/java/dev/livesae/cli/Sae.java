package dev.livesae.cli;

import dev.livesae.clients.KafkaUnavailableException;
import dev.livesae.kafka.local.BrokerCommand;
import dev.livesae.monitor.MonitorCommand;
import dev.livesae.sources.ProduceCommand;
import dev.livesae.sources.intervene.EvalCommand;
import dev.livesae.sources.intervene.SteerCommand;
import dev.livesae.trainer.TrainCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code sae}: the one command line of the system. Each subcommand is owned by its module; this class
 * only wires them together.
 */
@Command(name = "sae", mixinStandardHelpOptions = true, versionProvider = Sae.Version.class,
        description = {"Online sparse-autoencoder training and feature telemetry on live transformer activations.",
                "Run 'sae demo' to see the whole pipeline, or 'sae <command> --help' for one part."},
        subcommands = {
                BrokerCommand.class,
                ProduceCommand.class,
                TrainCommand.class,
                MonitorCommand.class,
                DemoCommand.class,
                EvalCommand.class,
                SteerCommand.class,
                BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class Sae implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static CommandLine commandLine() {
        return commandLine(LayeredDefaults.fromEnvironment(System.getenv()));
    }

    static CommandLine commandLine(CommandLine.IDefaultValueProvider defaults) {
        CommandLine cl = new CommandLine(new Sae());
        cl.setDefaultValueProvider(defaults);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setUsageHelpAutoWidth(true);
        cl.setExecutionExceptionHandler(Sae::expectedFailure);
        return cl;
    }

    public static void main(String[] args) {
        CommandLine cl;
        try {
            cl = commandLine();
        } catch (IllegalArgumentException e) {
            System.err.println("sae: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.exit(cl.execute(args));
    }

    /**
     * Failures a person can act on (the cluster unreachable, refusing or misconfigured) end the command with one
     * line on stderr and exit code 3, no stack trace; anything else is a bug and propagates as usual.
     */
    static int expectedFailure(Exception e, CommandLine cl, CommandLine.ParseResult parsed) throws Exception {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof KafkaUnavailableException k) {
                cl.getErr().println("sae " + cl.getCommandName() + ": " + k.getMessage());
                cl.getErr().flush();
                return EXIT_KAFKA_UNAVAILABLE;
            }
        }
        throw e;
    }

    /** Exit code of a command that could not use the Kafka cluster. */
    public static final int EXIT_KAFKA_UNAVAILABLE = 3;

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Sae.class.getPackage().getImplementationVersion();
            return new String[] {"sae " + (v == null ? "(development build)" : v)};
        }
    }
}
