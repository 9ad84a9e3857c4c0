package dev.livesae.sources.intervene;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livesae.sources.QuietLogs;
import dev.livesae.sources.model.MiniLmModel;
import dev.livesae.sources.model.SplitTransformer;
import dev.livesae.sources.model.TokenBatch;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sae steer}: what ablating, clamping, scaling or steering SAE features does to MiniLM's embeddings. */
@Command(name = "steer", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Show the effect of feature edits at an SAE's hookpoint on MiniLM's sentence embeddings, keeping the "
                + "SAE's error term so only the chosen features change.",
                "Without --query: per text, the edited features' activation and the cosine between the edited and the original "
                + "embedding. With --query: the texts are candidates of a semantic search; the edits apply to the query "
                + "(--apply-to) and the command shows which candidates rise and fall in the ranking.",
                "Then each edited feature's top contexts: from the monitor's /features/{id} with --monitor, else among the given texts."})
public final class SteerCommand implements Callable<Integer> {

    static {
        QuietLogs.apply();
    }

    /** Which side of a search the edits change. */
    enum ApplyTo { QUERY, CANDIDATES, BOTH }

    @Spec
    CommandSpec spec;

    @Option(names = "--sae", required = true, description = "SAE directory (as for 'sae eval': ours, SAELens topk/jumprelu, sparsify, or a checkpoint root)")
    Path sae;
    @Option(names = "--hookpoint", description = "MiniLM hookpoint of the SAE (default: cfg.json's hook_name)")
    String hookpoint;
    @Option(names = "--edit", required = true, description = "feature edit, repeatable: ablate:LATENT, clamp:LATENT=VALUE, "
            + "scale:LATENT=FACTOR or steer:LATENT=COEFFICIENT (adds COEFFICIENT x the latent's decoder direction)")
    List<String> edits = new ArrayList<>();
    @Option(names = "--text", description = "a text (repeatable); with --query, a candidate")
    List<String> texts = new ArrayList<>();
    @Option(names = "--text-file", description = "texts, one per non-blank line (added after --text)")
    Path textFile;
    @Option(names = "--query", description = "a search query: rank the texts by cosine with its embedding, before and after the edits")
    String query;
    @Option(names = "--apply-to", defaultValue = "query", description = "with --query, where the edits apply: query, candidates or both (default: ${DEFAULT-VALUE})")
    String applyTo;
    @Option(names = "--monitor", description = "monitor base URL (e.g. http://127.0.0.1:9403) to show each feature's top contexts from /features/{id}")
    String monitor;
    @Option(names = "--contexts", defaultValue = "5", description = "contexts shown per feature, 0..100 (default: ${DEFAULT-VALUE})")
    int contexts;
    @Option(names = "--threads", defaultValue = "0", description = "ONNX Runtime intra-op threads, 0 = all cores (default: ${DEFAULT-VALUE})")
    int threads;

    private PrintWriter out;

    @Override
    public Integer call() throws Exception {
        CommandLine cl = spec.commandLine();
        List<FeatureEdit> parsed = new ArrayList<>();
        try {
            for (String e : edits) {
                parsed.add(FeatureEdit.parse(e, "--edit"));
            }
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, e.getMessage());
        }
        ApplyTo side;
        try {
            side = ApplyTo.valueOf(applyTo.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "--apply-to must be query, candidates or both (got " + applyTo + ")");
        }
        if (!Files.isDirectory(sae)) {
            throw new CommandLine.ParameterException(cl, "--sae must be a directory (got " + sae + ")");
        }
        if (textFile != null) {
            texts.addAll(EvalCommand.readTexts(textFile, 100_000));
        }
        if (texts.isEmpty()) {
            throw new CommandLine.ParameterException(cl, "--text or --text-file must give at least one text");
        }
        if (contexts < 0 || contexts > 100) {
            throw new CommandLine.ParameterException(cl, "--contexts must be in [0, 100] (got " + contexts + ")");
        }
        if (threads < 0) {
            throw new CommandLine.ParameterException(cl, "--threads must be >= 0 (got " + threads + ")");
        }
        URI monitorUri = null;
        if (monitor != null) {
            try {
                monitorUri = URI.create(monitor.endsWith("/") ? monitor : monitor + "/");
                if (!"http".equals(monitorUri.getScheme()) && !"https".equals(monitorUri.getScheme())) {
                    throw new IllegalArgumentException("not http(s)");
                }
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, "--monitor must be an http(s) URL (got " + monitor + ")");
            }
        }
        String hook;
        try {
            hook = hookpoint != null ? hookpoint : EvalCommand.hookName(sae);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "--hookpoint is needed: " + e.getMessage());
        }
        SaeDictionary dictionary = SaeDictionary.load(sae);
        for (FeatureEdit e : parsed) {
            if (e.latent() >= dictionary.dSae()) {
                throw new CommandLine.ParameterException(cl, "--edit " + e + ": latent must be < d_sae " + dictionary.dSae());
            }
        }
        out = cl.getOut();
        try (MiniLmModel model = MiniLmModel.load(MiniLmModel.DEFAULT_MAX_LENGTH, threads)) {
            try {
                model.hookpoint(hook);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, "--hookpoint: " + e.getMessage());
            }
            try (SplitTransformer split = model.split(hook)) {
                FeatureIntervener intervener = new FeatureIntervener(dictionary, null);
                out.printf(Locale.ROOT, "SAE %s (%s, d_sae %d) at %s; edits %s%n", sae, dictionary.activation().architecture(),
                        dictionary.dSae(), hook, parsed);
                Embedded cand = embed(model, split, intervener, texts, parsed);
                if (query == null) {
                    printShift(cand, parsed);
                } else {
                    Embedded q = embed(model, split, intervener, List.of(query), parsed);
                    printRanking(q, cand, side);
                }
                out.println();
                for (int latent : parsed.stream().mapToInt(FeatureEdit::latent).distinct().toArray()) {
                    printContexts(model, cand, latent, monitorUri, hook);
                }
            }
        }
        out.flush();
        return 0;
    }

    /** Texts through the split model with and without the edits, and the codes of their tokens. */
    record Embedded(List<String> texts, TokenBatch batch, float[] z, int dSae, float[] original, float[] edited, int d) {
        float maxActivation(int text, int latent) {
            int row = IntStream.range(0, text).map(b -> batch.lengths()[b]).sum();
            float m = 0;
            for (int t = 0; t < batch.lengths()[text]; t++) {
                m = Math.max(m, z[(row + t) * dSae + latent]);
            }
            return m;
        }
    }

    private static Embedded embed(MiniLmModel model, SplitTransformer split, FeatureIntervener iv, List<String> texts,
                                  List<FeatureEdit> edits) {
        TokenBatch batch = model.tokenizer().encode(texts);
        SplitTransformer.Head head = split.head(batch);
        float[] x = head.rows();
        int w = split.outputWidth();
        float[] original = MiniLmModel.sentenceEmbeddings(split.tail(head, x), batch.lengths(), w);
        float[] edited = MiniLmModel.sentenceEmbeddings(split.tail(head, iv.apply(x, head.tokens(), edits)), batch.lengths(), w);
        return new Embedded(texts, batch, iv.sae().encode(x, head.tokens()), iv.sae().dSae(), original, edited, w);
    }

    private void printShift(Embedded e, List<FeatureEdit> edits) {
        double[] cos = Fidelity.cosines(e.original(), e.edited(), e.d());
        int[] latents = edits.stream().mapToInt(FeatureEdit::latent).distinct().toArray();
        StringBuilder head = new StringBuilder("cos(edited, original)");
        for (int j : latents) {
            head.append(String.format(Locale.ROOT, "  max z[%d]", j));
        }
        out.println(head.append("  text"));
        for (int i = 0; i < e.texts().size(); i++) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%21.4f", cos[i]));
            for (int j : latents) {
                line.append(String.format(Locale.ROOT, "  %" + (String.format("  max z[%d]", j).length() - 2) + ".3f", e.maxActivation(i, j)));
            }
            out.println(line.append("  ").append(abbreviate(e.texts().get(i))));
        }
    }

    private void printRanking(Embedded q, Embedded cand, ApplyTo side) {
        int n = cand.texts().size();
        int d = cand.d();
        float[] qBefore = java.util.Arrays.copyOf(q.original(), d);
        float[] qAfter = side == ApplyTo.CANDIDATES ? qBefore : java.util.Arrays.copyOf(q.edited(), d);
        float[] cAfter = side == ApplyTo.QUERY ? cand.original() : cand.edited();
        double[] before = new double[n];
        double[] after = new double[n];
        for (int i = 0; i < n; i++) {
            before[i] = Fidelity.cosines(qBefore, java.util.Arrays.copyOfRange(cand.original(), i * d, (i + 1) * d), d)[0];
            after[i] = Fidelity.cosines(qAfter, java.util.Arrays.copyOfRange(cAfter, i * d, (i + 1) * d), d)[0];
        }
        int[] rankBefore = ranks(before);
        int[] rankAfter = ranks(after);
        out.printf(Locale.ROOT, "query: %s (edits applied to %s); query embedding shift: cos(edited, original) = %.4f%n",
                abbreviate(query), side.name().toLowerCase(Locale.ROOT),
                Fidelity.cosines(q.original(), q.edited(), d)[0]);
        out.println("rank after  rank before  move  score after  score before  text");
        Integer[] order = IntStream.range(0, n).boxed().sorted(Comparator.comparingInt(i -> rankAfter[i])).toArray(Integer[]::new);
        for (int i : order) {
            int move = rankBefore[i] - rankAfter[i];
            out.printf(Locale.ROOT, "%10d  %11d  %4s  %11.4f  %12.4f  %s%n", rankAfter[i], rankBefore[i],
                    move > 0 ? "+" + move : move == 0 ? "=" : Integer.toString(move), after[i], before[i], abbreviate(cand.texts().get(i)));
        }
    }

    /** 1-based ranks by descending score. */
    static int[] ranks(double[] score) {
        Integer[] order = IntStream.range(0, score.length).boxed().sorted((a, b) -> Double.compare(score[b], score[a])).toArray(Integer[]::new);
        int[] rank = new int[score.length];
        for (int r = 0; r < order.length; r++) {
            rank[order[r]] = r + 1;
        }
        return rank;
    }

    private void printContexts(MiniLmModel model, Embedded e, int latent, URI monitorUri, String hook) {
        if (contexts == 0) {
            return;
        }
        if (monitorUri != null) {
            String fromMonitor = monitorContexts(monitorUri, latent, hook);
            if (fromMonitor != null) {
                out.print(fromMonitor);
                return;
            }
        }
        out.printf(Locale.ROOT, "feature %d: top contexts among the given texts%n", latent);
        int rows = e.batch().tokens();
        int[] textOf = new int[rows];
        int[] posOf = new int[rows];
        int r = 0;
        for (int b = 0; b < e.batch().sequences(); b++) {
            for (int t = 0; t < e.batch().lengths()[b]; t++, r++) {
                textOf[r] = b;
                posOf[r] = t;
            }
        }
        List<Integer> firing = IntStream.range(0, rows).filter(i -> e.z()[i * e.dSae() + latent] > 0).boxed()
                .sorted(Comparator.comparingDouble(i -> -e.z()[i * e.dSae() + latent])).limit(contexts).toList();
        if (firing.isEmpty()) {
            out.println("  (does not fire on any token of the given texts)");
        }
        for (int i : firing) {
            int b = textOf[i];
            int len = e.batch().lengths()[b];
            int from = Math.max(0, posOf[i] - 5);
            int to = Math.min(len, posOf[i] + 6);
            int[] ids = new int[to - from];
            for (int t = from; t < to; t++) {
                ids[t - from] = (int) e.batch().inputIds()[b][t];
            }
            List<String> tokens = model.decode(ids);
            StringBuilder s = new StringBuilder();
            for (int t = 0; t < tokens.size(); t++) {
                s.append(t + from == posOf[i] ? "[[" + tokens.get(t) + "]]" : tokens.get(t)).append(' ');
            }
            out.printf(Locale.ROOT, "  %7.3f  %s%n", e.z()[i * e.dSae() + latent], s.toString().strip());
        }
    }

    /** The feature's contexts from the monitor's JSON, or null (with a note printed) if it has none. */
    private String monitorContexts(URI base, int latent, String hook) {
        URI uri = base.resolve("features/" + latent + "?hookpoint=" + java.net.URLEncoder.encode(hook, java.nio.charset.StandardCharsets.UTF_8));
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> resp = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (resp.statusCode() != 200) {
                out.printf(Locale.ROOT, "feature %d: monitor answered %d at %s; showing contexts among the given texts%n", latent, resp.statusCode(), uri);
                return null;
            }
            JsonNode j = new ObjectMapper().readTree(resp.body());
            JsonNode list = j.path("contexts");
            if (!list.isArray() || list.isEmpty()) {
                out.printf(Locale.ROOT, "feature %d: the monitor has no contexts for it (needs the explorer's contexts); density %s%n",
                        latent, j.path("density").asText("?"));
                return null;
            }
            StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "feature %d: top contexts from the monitor (%s)%n", latent, uri));
            int shown = 0;
            for (JsonNode c : list) {
                if (shown++ == contexts) {
                    break;
                }
                int firing = c.path("firing").asInt(-1);
                StringBuilder text = new StringBuilder();
                int t = 0;
                for (JsonNode tok : c.path("text")) {
                    text.append(t++ == firing ? "[[" + tok.asText() + "]]" : tok.asText()).append(' ');
                }
                s.append(String.format(Locale.ROOT, "  %7.3f  %s%n", c.path("activation").asDouble(), text.toString().strip()));
            }
            return s.toString();
        } catch (IOException | IllegalArgumentException e) {
            out.printf(Locale.ROOT, "feature %d: monitor not reachable at %s (%s); showing contexts among the given texts%n", latent, uri, e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 90 ? s : s.substring(0, 87) + "...";
    }
}
