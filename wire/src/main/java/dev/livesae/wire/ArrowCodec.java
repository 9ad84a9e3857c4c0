package dev.livesae.wire;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.arrow.compression.CommonsCompressionFactory;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The shared life of both codecs: one Arrow IPC stream per record, a child allocator per codec,
 * one reused {@link VectorSchemaRoot} for writing, a fresh reader (which owns its root) per decode.
 *
 * <p>Decoding accepts a stream of zero or more record batches (an empty stream is a zero-row batch;
 * several batches are concatenated, as writers in other languages may chunk) and never lets an Arrow
 * or I/O error escape: everything wrong becomes a {@link WireFormatException} with a reason.
 */
abstract class ArrowCodec<T> implements AutoCloseable {
    /** Upper bound on what one decode may allocate; a garbage length prefix fails here, not in the heap. */
    static final long ALLOCATION_LIMIT = 1L << 30;

    private final BufferAllocator allocator;
    private final DecodeLimits limits;
    private VectorSchemaRoot writeRoot;

    ArrowCodec(BufferAllocator parent, String name, DecodeLimits limits) {
        this.allocator = parent.newChildAllocator(name, 0, ALLOCATION_LIMIT);
        this.limits = Checks.notNull("limits", limits);
    }

    public DecodeLimits limits() {
        return limits;
    }

    /** Encodes one batch as an Arrow IPC stream: schema, one record batch, end-of-stream marker. */
    public final synchronized byte[] encode(T batch) {
        Checks.notNull("batch", batch);
        Schema schema = schemaOf(batch);
        if (writeRoot == null || !writeRoot.getSchema().equals(schema)) {
            if (writeRoot != null) {
                writeRoot.close();
            }
            writeRoot = VectorSchemaRoot.create(schema, allocator);
        }
        int rows = fill(writeRoot, batch);
        writeRoot.setRowCount(rows);
        ByteArrayOutputStream out = new ByteArrayOutputStream(estimatedBytes(batch) + 1024);
        try (ArrowStreamWriter writer = new ArrowStreamWriter(writeRoot, null, Channels.newChannel(out))) {
            writer.start();
            writer.writeBatch();
            writer.end();
        } catch (IOException e) {
            throw new IllegalStateException("writing to an in-memory stream failed", e);
        } finally {
            writeRoot.clear();
        }
        return out.toByteArray();
    }

    /** Decodes and validates one record value. */
    public final T decode(byte[] bytes) {
        if (bytes == null) {
            throw new WireFormatException(RejectReason.UNDECODABLE, "record value is null");
        }
        if (bytes.length == 0) {
            throw new WireFormatException(RejectReason.UNDECODABLE, "record value is empty (0 bytes)");
        }
        try (ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(bytes), allocator,
                CommonsCompressionFactory.INSTANCE)) {
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            Header header = header(root.getSchema());
            List<T> parts = new ArrayList<>(1);
            long rows = 0;
            while (reader.loadNextBatch()) {
                rows += root.getRowCount();
                if (rows > limits.maxRows()) {
                    throw new WireFormatException(RejectReason.OVERSIZED,
                            "batch has more than " + limits.maxRows() + " rows (the limit)");
                }
                parts.add(read(root, header));
            }
            if (rows == 0 && !limits.allowEmpty()) {
                throw new WireFormatException(RejectReason.EMPTY_BATCH, "batch has no rows");
            }
            return parts.size() == 1 ? parts.get(0) : concat(header, parts);
        } catch (WireFormatException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new WireFormatException(RejectReason.UNDECODABLE,
                    "not a readable Arrow IPC stream (" + bytes.length + " bytes): " + e, e);
        }
    }

    @Override
    public synchronized void close() {
        if (writeRoot != null) {
            writeRoot.close();
            writeRoot = null;
        }
        allocator.close();
    }

    /** The validated schema-level facts of one stream (its metadata and widths). */
    interface Header {}

    abstract Schema schemaOf(T batch);

    /** Writes the batch into the root's vectors; returns the row count. */
    abstract int fill(VectorSchemaRoot root, T batch);

    abstract int estimatedBytes(T batch);

    /** Checks the schema name, version, metadata and columns; throws a {@link WireFormatException}. */
    abstract Header header(Schema schema);

    /** Copies one loaded record batch out of the reader's root, validating values. */
    abstract T read(VectorSchemaRoot root, Header header);

    abstract T concat(Header header, List<T> parts);

    // ---- shared metadata checks ----

    static void requireSchemaName(Schema schema, String expected) {
        Map<String, String> md = schema.getCustomMetadata();
        String name = md == null ? null : md.get(WireSchema.KEY_SCHEMA);
        if (name == null) {
            throw new WireFormatException(RejectReason.WRONG_SCHEMA,
                    "schema metadata has no " + WireSchema.KEY_SCHEMA + " (expected '" + expected + "')");
        }
        if (!name.equals(expected)) {
            throw new WireFormatException(RejectReason.WRONG_SCHEMA,
                    WireSchema.KEY_SCHEMA + " is '" + name + "', expected '" + expected + "'");
        }
        String version = md.get(WireSchema.KEY_VERSION);
        if (!Integer.toString(WireSchema.VERSION).equals(version)) {
            throw new WireFormatException(RejectReason.UNSUPPORTED_VERSION,
                    WireSchema.KEY_VERSION + " is " + (version == null ? "missing" : "'" + version + "'")
                            + ", this build reads version " + WireSchema.VERSION);
        }
    }

    static String text(Schema schema, String key) {
        String v = schema.getCustomMetadata().get(key);
        if (v == null || v.isBlank()) {
            throw new WireFormatException(RejectReason.BAD_METADATA, "schema metadata " + key + " is missing or blank");
        }
        return v;
    }

    static long number(Schema schema, String key, long min) {
        String v = text(schema, key);
        long n;
        try {
            n = Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new WireFormatException(RejectReason.BAD_METADATA, "schema metadata " + key + " is not an integer: '" + v + "'");
        }
        if (n < min || n > Integer.MAX_VALUE && !key.equals(WireSchema.KEY_DICTIONARY_VERSION)) {
            throw new WireFormatException(RejectReason.BAD_METADATA, "schema metadata " + key + " = " + n + " is out of range");
        }
        return n;
    }
}
