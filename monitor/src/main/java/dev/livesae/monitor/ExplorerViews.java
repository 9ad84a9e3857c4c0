package dev.livesae.monitor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.livesae.wire.Vocabulary;

/**
 * The explorer's JSON: one page of the feature table ({@code /features?offset=&limit=&sort=&order=&q=}) and the
 * contexts, histogram and density history added to {@code /features/{id}}. Sorting, search and paging happen here,
 * on the server, so the page stays fast at any d_sae.
 */
final class ExplorerViews {
    static final int MAX_LIMIT = 500;

    private ExplorerViews() {
    }

    /** Columns the table sorts by. */
    enum Sort {
        ID, DENSITY, MEAN, LAST, DRIFT;

        static Sort parse(String s) {
            try {
                return s == null ? DENSITY : Sort.valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("sort must be one of id, density, mean, last, drift (got " + s + ")");
            }
        }
    }

    /** One example as JSON: the token texts, which one fired, and its activation. */
    record Context(float activation, int firing, List<String> text, int[] tokenIds, long sequenceId, int position,
                   long timestampMs, Integer quantileBin) {
    }

    record Histogram(double[] lowerEdges, long[] counts, long total, double mean, float max) {
    }

    record Point(long windowIndex, float density) {
    }

    /** {@code /features/{id}}: the stored numbers plus what the explorer shows. */
    record Detail(@JsonUnwrapped FeatureViews.Feature feature, Double driftContribution, boolean contextsEnabled, boolean vocabulary,
                  List<Context> contexts, List<Context> samples, Histogram histogram, List<Point> densityHistory) {
    }

    record Row(int id, int count, double density, Double meanActivation, Long tokensSinceFired, Double driftContribution,
               float[] sparkline, Context top) {
    }

    record Page(String saeId, String hookpoint, String model, long dictionaryVersion, int dSae, long windowIndex,
                boolean windowClosed, int windowTokens, long tokensSeen, String sort, String order, String q, int offset,
                int limit, int total, boolean contextsEnabled, boolean vocabulary, List<Row> features) {
    }

    /** Everything a view reads. */
    record Sources(ContextQuery contexts, VocabularyCache vocabulary, FeatureHistory history, ContextOptions options) {
    }

    static Detail detail(FeatureState s, int id, Sources src) {
        FeatureViews.Feature f = FeatureViews.feature(s, id);
        Optional<Vocabulary> vocab = src.contexts().enabled() ? src.vocabulary().get(s.model) : Optional.empty();
        List<Context> top = new ArrayList<>();
        List<Context> samples = new ArrayList<>();
        FeatureContexts c = examples(s, id, src);
        long cutoff = System.currentTimeMillis() - src.options().retention().toMillis();
        if (c != null) {
            c.top.stream().filter(e -> e.timestampMs() >= cutoff).forEach(e -> top.add(context(e, vocab, null)));
            for (int b = 0; b < c.samples.size(); b++) {
                int bin = b;
                c.samples.get(b).stream().filter(e -> e.timestampMs() >= cutoff)
                        .sorted(Comparator.comparingDouble(e -> -e.activation()))
                        .forEach(e -> samples.add(context(e, vocab, bin)));
            }
        }
        Histogram histogram = null;
        byte[] h = src.contexts().get(ContextKeys.histogram(s.key.storeKey(), id));
        if (h != null) {
            ActivationHistogram a = ActivationHistogram.fromBytes(h);
            if (a.version == s.version) {
                double[] edges = new double[ActivationHistogram.BINS];
                for (int b = 0; b < edges.length; b++) {
                    edges[b] = ActivationHistogram.lowerEdge(b);
                }
                histogram = new Histogram(edges, a.counts.clone(), a.total, a.total == 0 ? 0 : a.sum / a.total, a.max);
            }
        }
        FeatureHistory.Series series = src.history().series(s.key, s.version, id);
        List<Point> points = new ArrayList<>();
        for (int i = 0; i < series.density().length; i++) {
            points.add(new Point(series.windowIndex()[i], series.density()[i]));
        }
        double[] contribution = driftContributions(s);
        return new Detail(f, contribution == null ? null : contribution[id], src.contexts().enabled(), vocab.isPresent(),
                top, samples, histogram, points);
    }

    static Page page(FeatureState s, Sources src, String sortName, String order, String q, int offset, int limit) {
        Sort sort = Sort.parse(sortName);
        boolean ascending = order == null ? sort == Sort.ID || sort == Sort.LAST : switch (order.toLowerCase(Locale.ROOT)) {
            case "asc" -> true;
            case "desc" -> false;
            default -> throw new IllegalArgumentException("order must be asc or desc (got " + order + ")");
        };
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be >= 0 (got " + offset + ")");
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be in [1, " + MAX_LIMIT + "] (got " + limit + ")");
        }
        boolean closed = s.lastWindowIndex >= 0;
        int[] counts = closed ? s.lastCounts : s.windowCounts;
        double[] sums = closed ? s.lastSums : s.windowSums;
        int tokens = closed ? s.lastTokens : s.windowTokens;
        double[] drift = driftContributions(s);
        Optional<Vocabulary> vocab = src.contexts().enabled() ? src.vocabulary().get(s.model) : Optional.empty();

        Map<Integer, FeatureContexts> examples = src.contexts().enabled() ? allExamples(s, src) : Map.of();
        String needle = q == null || q.isBlank() ? null : q.strip().toLowerCase(Locale.ROOT);
        Integer idQuery = null;
        if (needle != null && needle.matches("#?\\d{1,9}")) {
            idQuery = Integer.parseInt(needle.replace("#", ""));
        }
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < s.dSae; i++) {
            if (needle == null || (idQuery != null && i == idQuery) || matches(examples.get(i), vocab, needle)) {
                ids.add(i);
            }
        }
        Comparator<Integer> by = switch (sort) {
            case ID -> Comparator.comparingInt(i -> i);
            case DENSITY -> Comparator.comparingInt(i -> counts[i]);
            case MEAN -> Comparator.comparingDouble(i -> counts[i] == 0 ? 0 : sums[i] / counts[i]);
            // "last fired": most recent first ascending, never-fired at the end either way
            case LAST -> Comparator.comparingLong(i -> s.lastFired[i] < 0 ? Long.MAX_VALUE : s.tokensSeen - 1 - s.lastFired[i]);
            case DRIFT -> Comparator.comparingDouble(i -> drift == null ? 0 : drift[i]);
        };
        Comparator<Integer> cmp = (ascending ? by : by.reversed()).thenComparingInt(i -> i);
        ids.sort(cmp);
        List<Row> rows = new ArrayList<>();
        long cutoff = System.currentTimeMillis() - src.options().retention().toMillis();
        for (int at = offset; at < Math.min(ids.size(), offset + limit); at++) {
            int i = ids.get(at);
            FeatureHistory.Series series = src.history().series(s.key, s.version, i);
            FeatureContexts c = examples.get(i);
            Context top = c == null ? null : c.top.stream().filter(e -> e.timestampMs() >= cutoff).findFirst()
                    .map(e -> context(e, vocab, null)).orElse(null);
            long last = s.lastFired[i];
            rows.add(new Row(i, counts[i], tokens == 0 ? 0 : (double) counts[i] / tokens,
                    counts[i] == 0 ? null : sums[i] / counts[i], last < 0 ? null : s.tokensSeen - 1 - last,
                    drift == null ? null : drift[i], series.density(), top));
        }
        return new Page(s.key.saeId(), s.key.hookpoint(), s.model, s.version, s.dSae,
                closed ? s.lastWindowIndex : s.windowIndex, closed, tokens, s.tokensSeen, sort.name().toLowerCase(Locale.ROOT),
                ascending ? "asc" : "desc", q, offset, limit, ids.size(), src.contexts().enabled(), vocab.isPresent(), rows);
    }

    /**
     * Each latent's term of the PSI between the last closed window and the baseline,
     * {@code (q_i - p_i) ln(q_i / p_i)} over the smoothed distributions ({@link DriftMath}); the terms sum to the
     * window's PSI. Null until a window closed with a complete baseline.
     */
    static double[] driftContributions(FeatureState s) {
        if (s.lastWindowIndex < 0 || s.baselineTokens == 0 || !s.baselineReady()) {
            return null;
        }
        double[] p = DriftMath.smoothed(s.baselineCounts, DriftMath.PSEUDO_COUNT);
        double[] q = DriftMath.smoothed(s.lastCounts, DriftMath.PSEUDO_COUNT);
        double[] out = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            out[i] = (q[i] - p[i]) * Math.log(q[i] / p[i]);
        }
        return out;
    }

    private static FeatureContexts examples(FeatureState s, int id, Sources src) {
        byte[] bytes = src.contexts().get(ContextKeys.examples(s.key.storeKey(), id));
        if (bytes == null) {
            return null;
        }
        FeatureContexts c = FeatureContexts.fromBytes(bytes);
        return c.version == s.version ? c : null;
    }

    private static Map<Integer, FeatureContexts> allExamples(FeatureState s, Sources src) {
        Map<Integer, FeatureContexts> out = new HashMap<>();
        for (Map.Entry<String, byte[]> e : src.contexts().scan(ContextKeys.prefix(s.key.storeKey())).entrySet()) {
            ContextKeys.Key key;
            try {
                key = ContextKeys.parse(e.getKey());
            } catch (IllegalArgumentException bad) {
                continue;
            }
            if (key.kind() == ContextKeys.EXAMPLES && key.streamKey().equals(s.key.storeKey())) {
                FeatureContexts c = FeatureContexts.fromBytes(e.getValue());
                if (c.version == s.version) {
                    out.put(key.latent(), c);
                }
            }
        }
        return out;
    }

    /** Whether the text of any top example of the feature contains {@code needle} (lower case). */
    private static boolean matches(FeatureContexts c, Optional<Vocabulary> vocab, String needle) {
        if (c == null) {
            return false;
        }
        for (ContextExample e : c.top) {
            if (String.join(" ", texts(e.tokenIds(), vocab)).toLowerCase(Locale.ROOT).contains(needle)) {
                return true;
            }
        }
        return false;
    }

    private static Context context(ContextExample e, Optional<Vocabulary> vocab, Integer bin) {
        return new Context(e.activation(), e.firing(), texts(e.tokenIds(), vocab), e.tokenIds(), e.sequenceId(), e.position(),
                e.timestampMs(), bin);
    }

    /** Token texts; {@code "#<id>"} without a vocabulary or for an id outside it, {@code "?"} for an unknown token. */
    static List<String> texts(int[] ids, Optional<Vocabulary> vocab) {
        String[] out = new String[ids.length];
        for (int i = 0; i < ids.length; i++) {
            int id = ids[i];
            String t = vocab.map(v -> v.text(id)).orElse(null);
            out[i] = t != null ? t : id < 0 ? "?" : "#" + id;
        }
        return Arrays.asList(out);
    }
}
