package dev.livesae.sources.model;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json} tokenizer (DJL's Rust bindings) that truncates to a maximum
 * sequence length and right-pads batches itself, plus an id-to-token table read from the same file so
 * token ids decode to their token strings ({@code "##ing"}), not to detokenised text.
 */
public final class TextTokenizer implements AutoCloseable {

    private final HuggingFaceTokenizer tokenizer;
    private final String[] vocabulary;
    private final int maxLength;
    private final long padId;

    private TextTokenizer(HuggingFaceTokenizer tokenizer, String[] vocabulary, int maxLength, long padId) {
        this.tokenizer = tokenizer;
        this.vocabulary = vocabulary;
        this.maxLength = maxLength;
        this.padId = padId;
    }

    /** Builds a tokenizer from the bytes of a tokenizer.json, truncating to {@code maxLength} tokens. */
    public static TextTokenizer fromJson(byte[] tokenizerJson, int maxLength) {
        if (maxLength < 2) {
            throw new IllegalArgumentException("maxLength must be >= 2 (got " + maxLength + ")");
        }
        try {
            JsonNode root = new ObjectMapper().readTree(tokenizerJson);
            JsonNode vocab = root.path("model").path("vocab");
            if (!vocab.isObject()) {
                throw new IllegalArgumentException("tokenizer.json has no model.vocab object");
            }
            String[] table = new String[vocab.size()];
            for (Map.Entry<String, JsonNode> e : vocab.properties()) {
                int id = e.getValue().asInt(-1);
                if (id < 0 || id >= table.length) {
                    throw new IllegalArgumentException("tokenizer.json vocab id out of range: " + e.getKey() + "=" + id);
                }
                table[id] = e.getKey();
            }
            long padId = root.path("padding").path("pad_id").asLong(0);
            HuggingFaceTokenizer tok;
            try (InputStream in = new java.io.ByteArrayInputStream(tokenizerJson)) {
                tok = HuggingFaceTokenizer.newInstance(in, Map.of(
                        "maxLength", Integer.toString(maxLength),
                        "truncation", "true",
                        "padding", "false",
                        "addSpecialTokens", "true"));
            }
            return new TextTokenizer(tok, table, maxLength, padId);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tokenizer.json", e);
        }
    }

    public int maxLength() {
        return maxLength;
    }

    public int vocabularySize() {
        return vocabulary.length;
    }

    /** Tokenises each text (with [CLS]/[SEP], truncated to maxLength) and right-pads to the longest. */
    public TokenBatch encode(List<String> texts) {
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("texts must not be empty");
        }
        Encoding[] encodings = tokenizer.batchEncode(texts);
        int[] lengths = new int[encodings.length];
        int t = 1;
        for (int b = 0; b < encodings.length; b++) {
            long[] ids = encodings[b].getIds();
            long[] mask = encodings[b].getAttentionMask();
            int len = 0;
            for (int i = 0; i < Math.min(ids.length, maxLength); i++) {
                if (mask[i] != 0) {
                    len = i + 1;
                }
            }
            lengths[b] = len;
            t = Math.max(t, len);
        }
        long[][] inputIds = new long[encodings.length][t];
        long[][] attention = new long[encodings.length][t];
        for (int b = 0; b < encodings.length; b++) {
            long[] ids = encodings[b].getIds();
            java.util.Arrays.fill(inputIds[b], padId);
            System.arraycopy(ids, 0, inputIds[b], 0, lengths[b]);
            java.util.Arrays.fill(attention[b], 0, lengths[b], 1L);
        }
        return new TokenBatch(inputIds, attention, lengths);
    }

    /** The token string of one id ({@code "[CLS]"}, {@code "parliament"}, {@code "##ing"}). */
    public String token(int id) {
        if (id < 0 || id >= vocabulary.length || vocabulary[id] == null) {
            throw new IllegalArgumentException("token id out of range: " + id + " (vocabulary size " + vocabulary.length + ")");
        }
        return vocabulary[id];
    }

    /** Token strings of the ids, in order. */
    public List<String> decode(int[] ids) {
        String[] out = new String[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = token(ids[i]);
        }
        return List.of(out);
    }

    /** Detokenised text of the ids (special tokens skipped). */
    public String decodeText(int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return tokenizer.decode(l, true);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
