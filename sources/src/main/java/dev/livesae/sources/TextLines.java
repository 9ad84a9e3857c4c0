package dev.livesae.sources;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Function;

/**
 * Texts read lazily from a reader: each input line is mapped to zero or more texts. Closes the reader
 * when exhausted or closed.
 */
public final class TextLines implements Iterator<String>, AutoCloseable {
    private final BufferedReader reader;
    private final Function<String, List<String>> split;
    private final Deque<String> pending = new ArrayDeque<>();
    private boolean eof;

    public TextLines(BufferedReader reader, Function<String, List<String>> split) {
        this.reader = reader;
        this.split = split;
    }

    /** One text per non-blank line, trimmed. */
    public static TextLines perLine(BufferedReader reader) {
        return new TextLines(reader, line -> line.isBlank() ? List.of() : List.of(line.strip()));
    }

    @Override
    public boolean hasNext() {
        while (pending.isEmpty() && !eof) {
            try {
                String line = reader.readLine();
                if (line == null) {
                    close();
                } else {
                    pending.addAll(split.apply(line));
                }
            } catch (IOException e) {
                throw new UncheckedIOException("reading texts failed", e);
            }
        }
        return !pending.isEmpty();
    }

    @Override
    public String next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return pending.poll();
    }

    /** Up to {@code n} next texts (fewer at the end, empty when exhausted). */
    public List<String> next(int n) {
        List<String> out = new java.util.ArrayList<>(n);
        while (out.size() < n && hasNext()) {
            out.add(next());
        }
        return out;
    }

    @Override
    public void close() {
        eof = true;
        try {
            reader.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
