package dev.livesae.sources;

/** A finite or endless supply of activation rows of one width. */
public interface RowSource extends AutoCloseable {
    int dIn();

    /** Up to {@code maxRows} next rows; null when the source is exhausted. */
    RowChunk next(int maxRows);

    @Override
    void close();
}
