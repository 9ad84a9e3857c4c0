package dev.livesae.wire;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * A model's tokenizer vocabulary: the text of token id i is {@code tokens.get(i)}. Published once per model to the
 * compacted topic {@link Topics#vocab(String)} (key: the model name, UTF-8) so that a reader of code batches (the
 * monitor) can show the text around a firing token without the model.
 *
 * <p>Record value (big-endian): the 8 ASCII bytes {@code LSVOCAB1}, int32 token count n, then n times an int32
 * byte length and that many UTF-8 bytes. docs/wire-format.md is the contract.
 */
public record Vocabulary(String model, List<String> tokens) {
    /** The magic bytes that start every vocabulary record (format version 1). */
    static final byte[] MAGIC = "LSVOCAB1".getBytes(StandardCharsets.US_ASCII);
    /** Most tokens a vocabulary may hold (the largest LLM vocabularies have about 260k). */
    public static final int MAX_TOKENS = 1 << 21;
    /** Longest token text in UTF-8 bytes. */
    public static final int MAX_TOKEN_BYTES = 1024;

    public Vocabulary {
        Checks.text("model", model);
        Checks.notNull("tokens", tokens);
        if (tokens.size() > MAX_TOKENS) {
            throw new IllegalArgumentException("tokens has " + tokens.size() + " entries, more than " + MAX_TOKENS);
        }
        tokens = List.copyOf(tokens.stream().map(t -> t == null ? "" : t).toList());
    }

    public int size() {
        return tokens.size();
    }

    /** The text of {@code id}, or null when the id is outside the vocabulary (e.g. {@link ActivationBatch#NO_TOKEN}). */
    public String text(int id) {
        return id < 0 || id >= tokens.size() ? null : tokens.get(id);
    }

    /** The record value. */
    public byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 + tokens.size() * 10);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(MAGIC);
            out.writeInt(tokens.size());
            for (String t : tokens) {
                byte[] b = t.getBytes(StandardCharsets.UTF_8);
                if (b.length > MAX_TOKEN_BYTES) {
                    throw new IllegalArgumentException("token '" + t.substring(0, 32) + "...' is longer than "
                            + MAX_TOKEN_BYTES + " UTF-8 bytes");
                }
                out.writeInt(b.length);
                out.write(b);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * Reads a record value.
     *
     * @throws WireFormatException {@code UNDECODABLE} for a value that is not a vocabulary record, truncated, or
     *                             not UTF-8; {@code OVERSIZED} for counts or lengths beyond the caps
     */
    public static Vocabulary decode(String model, byte[] value) {
        if (value == null || value.length < MAGIC.length + 4
                || !Arrays.equals(Arrays.copyOf(value, MAGIC.length), MAGIC)) {
            throw new WireFormatException(RejectReason.UNDECODABLE, "not a vocabulary record (no LSVOCAB1 magic)");
        }
        ByteBuffer in = ByteBuffer.wrap(value, MAGIC.length, value.length - MAGIC.length);
        var utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            int n = in.getInt();
            // every token takes at least its 4-byte length, so n is checked against the bytes present first
            if (n < 0 || n > MAX_TOKENS || (long) n * 4 > in.remaining()) {
                throw new WireFormatException(RejectReason.OVERSIZED, "vocabulary token count " + n + " does not fit the record"
                        + " or exceeds " + MAX_TOKENS);
            }
            String[] tokens = new String[n];
            for (int i = 0; i < n; i++) {
                int len = in.getInt();
                if (len < 0 || len > MAX_TOKEN_BYTES || len > in.remaining()) {
                    throw new WireFormatException(RejectReason.OVERSIZED, "token " + i + " has byte length " + len);
                }
                ByteBuffer slice = in.slice().limit(len);
                tokens[i] = utf8.decode(slice).toString();
                in.position(in.position() + len);
            }
            if (in.hasRemaining()) {
                throw new WireFormatException(RejectReason.UNDECODABLE, in.remaining() + " bytes after the last token");
            }
            return new Vocabulary(model, Arrays.asList(tokens));
        } catch (BufferUnderflowException e) {
            throw new WireFormatException(RejectReason.UNDECODABLE, "truncated vocabulary record");
        } catch (CharacterCodingException e) {
            throw new WireFormatException(RejectReason.UNDECODABLE, "a token is not UTF-8");
        }
    }
}
