package dev.livesae.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Where an option's value comes from when the flag is not given, lowest first: the option's own default,
 * a properties file, an environment variable. A flag on the command line beats all three.
 *
 * <ul>
 *   <li>Properties file: {@code $SAE_CONFIG}, else {@code ./sae.properties} if present. Keys are
 *       {@code <command path>.<option>} without dashes, e.g. {@code train.metrics-port=9402} or
 *       {@code bench.trainer.batch=2048}.</li>
 *   <li>Environment: {@code SAE_<COMMAND PATH>_<OPTION>}, upper case, dashes and dots as underscores,
 *       e.g. {@code SAE_TRAIN_METRICS_PORT=9402}.</li>
 * </ul>
 */
final class LayeredDefaults implements CommandLine.IDefaultValueProvider {
    static final String CONFIG_ENV = "SAE_CONFIG";
    static final String DEFAULT_FILE = "sae.properties";

    private final Map<String, String> env;
    private final Properties file;

    LayeredDefaults(Map<String, String> env, Properties file) {
        this.env = env;
        this.file = file;
    }

    /** Reads the properties file named by {@code $SAE_CONFIG} (which must exist) or ./sae.properties (optional). */
    static LayeredDefaults fromEnvironment(Map<String, String> env) {
        String named = env.get(CONFIG_ENV);
        Path path = named != null && !named.isBlank() ? Path.of(named) : Path.of(DEFAULT_FILE);
        Properties props = new Properties();
        if (Files.isRegularFile(path)) {
            try (Reader r = Files.newBufferedReader(path)) {
                props.load(r);
            } catch (IOException e) {
                throw new IllegalArgumentException(CONFIG_ENV + ": cannot read properties file " + path + ": " + e.getMessage(), e);
            }
        } else if (named != null && !named.isBlank()) {
            throw new IllegalArgumentException(CONFIG_ENV + " names " + path + ", which is not a readable file");
        }
        return new LayeredDefaults(env, props);
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec option)) {
            return arg.defaultValue();
        }
        String commandPath = commandPath(option);
        String name = option.longestName().replaceFirst("^-+", "");
        String envKey = ("SAE_" + commandPath + "_" + name).toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
        String fromEnv = env.get(envKey);
        if (fromEnv != null) {
            return fromEnv;
        }
        String fromFile = file.getProperty(commandPath + "." + name);
        return fromFile != null ? fromFile.trim() : option.defaultValue();
    }

    /** "train", "bench.trainer": the command's qualified name without the root "sae". */
    private static String commandPath(OptionSpec option) {
        StringBuilder path = new StringBuilder();
        for (CommandLine.Model.CommandSpec c = option.command(); c != null && c.parent() != null; c = c.parent()) {
            path.insert(0, path.length() == 0 ? c.name() : c.name() + ".");
        }
        return path.toString();
    }
}
