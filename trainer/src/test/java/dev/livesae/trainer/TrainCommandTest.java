package dev.livesae.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;

class TrainCommandTest {
    static final String[] BASE = {"--bootstrap", "127.0.0.1:9092", "--topic", "activations.m.h", "--checkpoint-dir", "/tmp/ck"};

    static TrainerOptions parse(String... extra) {
        TrainCommand cmd = new TrainCommand();
        CommandLine cl = new CommandLine(cmd);
        String[] args = new String[BASE.length + extra.length];
        System.arraycopy(BASE, 0, args, 0, BASE.length);
        System.arraycopy(extra, 0, args, BASE.length, extra.length);
        cl.parseArgs(args);
        return cmd.options();
    }

    static String error(String... args) {
        TrainCommand cmd = new TrainCommand();
        CommandLine cl = new CommandLine(cmd);
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        assertThat(code).isEqualTo(2);
        return err.toString();
    }

    static String[] with(String... extra) {
        String[] args = new String[BASE.length + extra.length];
        System.arraycopy(BASE, 0, args, 0, BASE.length);
        System.arraycopy(extra, 0, args, BASE.length, extra.length);
        return args;
    }

    @Test
    void defaultsAreTheDocumentedOnes() {
        TrainerOptions o = parse();
        assertThat(o.k()).isEqualTo(32);
        assertThat(o.batch()).isEqualTo(4096);
        assertThat(o.expansion()).isEqualTo(8.0);
        assertThat(o.dSaeFor(768)).isEqualTo(6144);
        assertThat(o.catchUp()).isEqualTo(CatchUpPolicy.ALL);
        assertThat(o.metricsPort()).isEqualTo(-1);
        assertThat(o.metricsHost()).isEqualTo("127.0.0.1");
        assertThat(o.checkpointEvery()).isEqualTo(Duration.ofMinutes(5));
        assertThat(o.groupId()).isEqualTo("livesae-trainer.activations.m.h");
        assertThat(o.emitCodes()).isTrue();
        assertThat(o.saeConfig(768).warmupSteps()).isEqualTo(1000);
        assertThat(o.saeConfig(768).resampleEveryTokens()).isEqualTo(25_000_000L);
        assertThat(o.saeConfig(768).resampleMaxTimes()).isEqualTo(4);
        assertThat(parse("--resample-every", "0").saeConfig(768).resampleEveryTokens()).as("0 turns it off").isZero();
        assertThat(o.architecture()).isEqualTo(dev.livesae.engine.Architecture.Kind.TOPK);
        assertThat(o.evalRows()).isEqualTo(4096);
        assertThat(o.evalCosineLatents()).isEqualTo(4096);
    }

    @Test
    void architectureFlagsReachTheOptions() {
        TrainerOptions o = parse("--architecture", "matryoshka-batchtopk", "--matryoshka-prefixes", "64,256",
                "--d-sae", "1024");
        assertThat(o.arch().groupEnds(1024)).containsExactly(64, 256, 1024);
        assertThat(parse("--architecture", "batchtopk").arch().slots(32, 6144)).isEqualTo(128);
        assertThat(error(with("--architecture", "gated"))).contains("--architecture must be topk, batchtopk or matryoshka-batchtopk");
        assertThat(error(with("--matryoshka-prefixes", "64"))).contains("--matryoshka-prefixes is only for --architecture matryoshka-batchtopk");
        assertThat(error(with("--architecture", "matryoshka-batchtopk", "--matryoshka-prefixes", "256,64")))
                .contains("--matryoshka-prefixes must be strictly ascending");
        assertThat(error(with("--architecture", "matryoshka-batchtopk", "--matryoshka-prefixes", "64,1024", "--d-sae", "1024")))
                .contains("--matryoshka-prefixes must be < d_sae 1024");
        assertThat(error(with("--eval-rows", "-1"))).contains("--eval-rows must be in");
    }

    @Test
    void modelAndHookpointNameTheTopic() {
        TrainCommand cmd = new TrainCommand();
        new CommandLine(cmd).parseArgs("--bootstrap", "h:1", "--model", "minilm", "--hookpoint", "layer 3",
                "--checkpoint-dir", "d", "--d-sae", "512", "--k", "16", "--catch-up", "LATEST");
        TrainerOptions o = cmd.options();
        assertThat(o.topic()).isEqualTo("activations.minilm.layer_3");
        assertThat(o.dSaeFor(64)).isEqualTo(512);
        assertThat(o.catchUp()).isEqualTo(CatchUpPolicy.LATEST);
        assertThat(o.checkpointDir()).isEqualTo(Path.of("d"));
    }

    @Test
    void rejectsBadFlagsNamingTheFlag() {
        assertThat(error(with("--k", "0"))).contains("--k must be >= 1 (got 0)");
        assertThat(error(with("--batch", "0"))).contains("--batch must be");
        assertThat(error(with("--shuffle-buffer", "-1"))).contains("--shuffle-buffer must be");
        assertThat(error(with("--d-sae", "64", "--expansion", "4"))).contains("--d-sae or --expansion");
        assertThat(error(with("--d-sae", "16", "--k", "32"))).contains("--k must be <= --d-sae 16");
        assertThat(error(with("--catch-up", "some"))).contains("--catch-up must be all or latest (got some)");
        assertThat(error(with("--max-lag", "-5"))).contains("--max-lag must be >= 0 (got -5)");
        assertThat(error(with("--metrics-port", "70000"))).contains("--metrics-port must be");
        assertThat(error(with("--checkpoint-every-seconds", "-1"))).contains("--checkpoint-every-seconds must be >= 0");
        assertThat(error(with("--promote-every", "-1"))).contains("--promote-every must be >= 0");
        assertThat(error(with("--lr", "2"))).contains("--lr must be in [0, 1)");
        assertThat(error(with("--resample-every", "-1"))).contains("--resample-every must be >= 0 tokens");
        assertThat(error(with("--resample-max-times", "-2"))).contains("--resample-max-times must be >= 0 (got -2)");
        assertThat(error(with("--start", "middle"))).contains("--start must be earliest or latest");
        assertThat(error(with("--encode-only"))).contains("--encode-only needs --sae DIR");
        assertThat(error(with("--sae", "x"))).contains("--sae is only for --encode-only");
        assertThat(error("--bootstrap", "nohost", "--topic", "t", "--checkpoint-dir", "d"))
                .contains("--bootstrap must be HOST:PORT");
        assertThat(error("--bootstrap", "h:1", "--checkpoint-dir", "d"))
                .contains("--topic or both --model and --hookpoint are required");
        assertThat(error("--bootstrap", "h:1", "--topic", "t")).contains("--checkpoint-dir is required");
        assertThat(error("--bootstrap", "h:1", "--topic", "bad topic", "--checkpoint-dir", "d")).contains("--topic must match");
    }

    @Test
    void encodeOnlyNeedsNoCheckpointDir() {
        TrainCommand cmd = new TrainCommand();
        new CommandLine(cmd).parseArgs("--bootstrap", "h:1", "--topic", "t", "--encode-only", "--sae", "/models/sae");
        TrainerOptions o = cmd.options();
        assertThat(o.encodeOnly()).isTrue();
        assertThat(o.sae()).isEqualTo(Path.of("/models/sae"));
    }

    @Test
    void builderValidatesLikeTheFlags() {
        assertThatThrownBy(() -> TrainerOptions.builder("h:1", "t").checkpointDir(Path.of("d")).k(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--k must be >= 1 (got 0)");
        assertThatThrownBy(() -> TrainerOptions.builder("h:1", "t").checkpointDir(Path.of("d")).k(64).expansion(1)
                .build().dSaeFor(32)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--k must be <= d_sae 32");
    }

    @Test
    void everyOptionDescribesItsDefault() {
        CommandLine cl = new CommandLine(new TrainCommand());
        for (CommandLine.Model.OptionSpec o : cl.getCommandSpec().options()) {
            if (o.usageHelp() || o.versionHelp() || o.required()) {
                continue;
            }
            assertThat(String.join(" ", o.description())).as(o.longestName()).containsPattern("\\(default: .+\\)");
        }
    }
}
