package dev.livesae.sources.intervene;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livesae.sources.EuroparlCorpus;
import dev.livesae.sources.QuietLogs;
import dev.livesae.sources.TextLines;
import dev.livesae.sources.model.MiniLmModel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sae eval}: an SAE's reconstruction quality and downstream fidelity on real text, as one JSON object. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure an SAE on real text at its MiniLM hookpoint and print one JSON object: SAEBench's core "
                + "metrics (explained_variance, mse, cossim, l2_ratio, relative_reconstruction_bias, l0, frac_alive, ...) and "
                + "downstream fidelity: the cosine of MiniLM's sentence embeddings with the hookpoint replaced by the SAE's "
                + "reconstruction (similarity_spliced), by zeros and by the mean activation, against the original, and "
                + "fidelity_recovered = (spliced - zero_ablated) / (1 - zero_ablated).",
                "Progress goes to stderr, the JSON to stdout."})
public final class EvalCommand implements Callable<Integer> {

    static {
        QuietLogs.apply();
    }

    @Spec
    CommandSpec spec;

    @Option(names = "--sae", required = true, description = "SAE directory: ours or SAELens (cfg.json + sae_weights.safetensors; "
            + "topk or jumprelu), sparsify (cfg.json + sae.safetensors), or a checkpoint root (LATEST: its promoted dictionary/)")
    Path sae;
    @Option(names = "--hookpoint", description = "MiniLM hookpoint of the SAE (default: cfg.json's hook_name)")
    String hookpoint;
    @Option(names = "--text-file", description = "texts, one per non-blank line (default: the bundled English Europarl "
            + "corpus from its start, the texts 'sae demo' holds out from training)")
    Path textFile;
    @Option(names = "--texts", defaultValue = "400", description = "texts to evaluate on, 1..100000 (default: ${DEFAULT-VALUE})")
    int texts;
    @Option(names = "--texts-per-batch", defaultValue = "32", description = "texts per forward pass, 1..4096 (default: ${DEFAULT-VALUE})")
    int textsPerBatch;
    @Option(names = "--max-length", defaultValue = "128", description = "max tokens per text incl. [CLS]/[SEP], 2..512 (default: ${DEFAULT-VALUE})")
    int maxLength;
    @Option(names = "--threads", defaultValue = "0", description = "ONNX Runtime intra-op threads, 0 = all cores (default: ${DEFAULT-VALUE})")
    int threads;

    @Override
    public Integer call() throws Exception {
        validate();
        SaeDictionary dictionary = SaeDictionary.load(sae);
        String hook = hookpoint != null ? hookpoint : hookName(sae);
        List<String> input = readTexts(textFile, texts);
        PrintWriter err = spec.commandLine().getErr();
        try (MiniLmModel model = MiniLmModel.load(maxLength, threads)) {
            try {
                model.hookpoint(hook);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--hookpoint: " + e.getMessage());
            }
            SaeEvaluation.Result r = SaeEvaluation.run(model, dictionary, hook, input, textsPerBatch, line -> {
                err.println(line);
                err.flush();
            });
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("sae", sae.toString());
            json.put("architecture", dictionary.activation().architecture());
            json.put("d_in", dictionary.dIn());
            json.put("d_sae", dictionary.dSae());
            json.putAll(r.asMap());
            PrintWriter out = spec.commandLine().getOut();
            out.println(new ObjectMapper().writeValueAsString(json));
            out.flush();
        }
        return 0;
    }

    private void validate() {
        CommandLine cl = spec.commandLine();
        if (!Files.isDirectory(sae)) {
            throw new CommandLine.ParameterException(cl, "--sae must be a directory (got " + sae + ")");
        }
        if (textFile != null && !Files.isReadable(textFile)) {
            throw new CommandLine.ParameterException(cl, "--text-file must be a readable file (got " + textFile + ")");
        }
        if (texts < 1 || texts > 100_000) {
            throw new CommandLine.ParameterException(cl, "--texts must be in [1, 100000] (got " + texts + ")");
        }
        if (textsPerBatch < 1 || textsPerBatch > 4096) {
            throw new CommandLine.ParameterException(cl, "--texts-per-batch must be in [1, 4096] (got " + textsPerBatch + ")");
        }
        if (maxLength < 2 || maxLength > 512) {
            throw new CommandLine.ParameterException(cl, "--max-length must be in [2, 512] (got " + maxLength + ")");
        }
        if (threads < 0) {
            throw new CommandLine.ParameterException(cl, "--threads must be >= 0 (got " + threads + ")");
        }
        if (hookpoint == null) {
            try {
                hookName(sae);
            } catch (IOException | IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, "--hookpoint is needed: " + e.getMessage());
            }
        }
    }

    /** The hook_name in the SAE directory's cfg.json. */
    static String hookName(Path dir) throws IOException {
        Path cfg = SaeDictionary.resolve(dir).resolve("cfg.json");
        if (!Files.isRegularFile(cfg)) {
            throw new IllegalArgumentException(cfg + " not found to read hook_name from");
        }
        String name = new ObjectMapper().readTree(Files.readString(cfg)).path("hook_name").asText("");
        if (name.isBlank()) {
            throw new IllegalArgumentException(cfg + " has no hook_name");
        }
        return name;
    }

    /** Up to {@code n} texts of the file, or of the bundled English corpus from its start. */
    static List<String> readTexts(Path file, int n) throws IOException {
        if (file == null) {
            try (TextLines lines = EuroparlCorpus.lines()) {
                return lines.next(n);
            }
        }
        BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
        try (TextLines lines = TextLines.perLine(reader)) {
            List<String> out = lines.next(n);
            if (out.isEmpty()) {
                throw new IllegalArgumentException("--text-file " + file + " holds no text");
            }
            return out;
        }
    }
}
