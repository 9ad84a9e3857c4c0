package dev.livesae.wire;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The shared life of both codecs: one Arrow IPC stream per record, a child allocator per codec,
 * one reused {@link VectorSchemaRoot} for writing, a fresh reader (which owns its root) per decode.
 *
 * <p>Decoding accepts a stream of zero or more record batches (an empty stream is a zero-row batch;
 * several batches are concatenated, as writers in other languages may chunk) and never lets an Arrow
 * or I/O error escape: everything wrong becomes a {@link WireFormatException} with a reason. It checks in the
 * contract's order (docs/wire-format.md): the value's length; the stream's framing ({@link IpcFrames}, every
 * length inside the record); the schema (metadata, dimension caps, columns, widths); the row count and the
 * bytes loading would allocate, from the record-batch headers; then, batch by batch, lengths, nulls,
 * finiteness and (codes) index range. Nothing is sized by a number from the wire before that number is checked.
 *
 * <p>Memory: each decode runs in its own child allocator whose limit is the record's length plus
 * {@link DecodeLimits#maxRecordBytes()}, so Arrow refuses an allocation past the cap before making it
 * ({@link RejectReason#DECODED_TOO_LARGE}). An {@link OutOfMemoryError} thrown while decoding one record becomes
 * {@link RejectReason#OUT_OF_MEMORY}: this is sound only because everything decode allocates is local to this one
 * call (its allocator, reader and arrays become garbage when it throws) and no lock or shared state is held.
 * The caller dead-letters the record and moves on instead of restarting on it forever.
 */
abstract class ArrowCodec<T> implements AutoCloseable {
    private final BufferAllocator allocator;
    private final DecodeLimits limits;
    private VectorSchemaRoot writeRoot;

    ArrowCodec(BufferAllocator parent, String name, DecodeLimits limits) {
        this.limits = Checks.notNull("limits", limits);
        this.allocator = parent.newChildAllocator(name, 0, Long.MAX_VALUE);
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
        if (bytes.length > limits.maxRecordBytes()) {
            throw new WireFormatException(RejectReason.RECORD_TOO_LARGE, "record value is " + bytes.length
                    + " bytes, the cap is " + limits.maxRecordBytes());
        }
        try {
            return decodeWithinCaps(bytes);
        } catch (OutOfMemoryError e) {
            // Only this record's allocations are live here (see the class comment); they are garbage now.
            throw new WireFormatException(RejectReason.OUT_OF_MEMORY, "the JVM could not allocate the memory to decode"
                    + " this record (" + bytes.length + " bytes): " + e.getMessage());
        }
    }

    private T decodeWithinCaps(byte[] bytes) {
        IpcFrames.Summary frames = IpcFrames.scan(bytes);
        if (frames.fields() > IpcFrames.MAX_FIELDS) {
            throw new WireFormatException(RejectReason.WRONG_SCHEMA, "the schema declares more than "
                    + IpcFrames.MAX_FIELDS + " fields or nests deeper than " + IpcFrames.MAX_DEPTH);
        }
        try (BufferAllocator decodeAllocator = allocator.newChildAllocator("decode", 0, bytes.length + limits.maxRecordBytes());
             ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(bytes), decodeAllocator,
                     BoundedCompression.INSTANCE)) {
            VectorSchemaRoot root;
            try {
                root = reader.getVectorSchemaRoot();
            } catch (IOException | RuntimeException e) {
                throw undecodable(bytes, e);
            }
            Header header = header(root.getSchema());
            if (frames.rows() > limits.maxRows()) {
                throw new WireFormatException(RejectReason.OVERSIZED, "batch has " + frames.rows() + " rows, more than "
                        + limits.maxRows() + " (the limit)");
            }
            if (frames.rows() == 0 && !limits.allowEmpty()) {
                throw new WireFormatException(RejectReason.EMPTY_BATCH, "batch has no rows");
            }
            if (frames.decodedBytes() > limits.maxRecordBytes()) {
                throw new WireFormatException(RejectReason.DECODED_TOO_LARGE, "loading the batch would allocate "
                        + frames.decodedBytes() + " bytes (buffers at their uncompressed length), the cap is "
                        + limits.maxRecordBytes());
            }
            for (IpcFrames.Layout layout : frames.layouts()) {
                requireLayout(root.getSchema(), layout);
            }
            List<T> parts = new ArrayList<>(1);
            while (load(reader, bytes)) {
                try {
                    parts.add(read(root, header));
                } catch (WireFormatException e) {
                    throw e;
                } catch (RuntimeException e) {
                    throw undecodable(bytes, e);
                }
            }
            return parts.size() == 1 ? parts.get(0) : concat(header, parts);
        } catch (IOException e) {
            throw undecodable(bytes, e);
        }
    }

    /** Loads the next record batch; an allocation past the decode allocator's limit is refused before it is made. */
    private static boolean load(ArrowStreamReader reader, byte[] bytes) {
        try {
            return reader.loadNextBatch();
        } catch (WireFormatException e) {
            throw e;
        } catch (OutOfMemoryException e) {
            throw new WireFormatException(RejectReason.DECODED_TOO_LARGE, "loading the batch needs more than the cap: "
                    + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            throw undecodable(bytes, e);
        }
    }

    /**
     * LENGTH_MISMATCH unless each column of the batch has as many values as the batch has rows (a list's items:
     * rows times its width) and its buffers hold them, from the headers: Arrow is never asked to load a batch
     * whose lengths disagree (its failure paths would keep buffers allocated).
     */
    private static void requireLayout(Schema schema, IpcFrames.Layout layout) {
        int[] cursor = {0, 0};
        for (Field f : schema.getFields()) {
            requireLayout(f, f.getName(), layout.rows(), layout, cursor);
        }
    }

    private static void requireLayout(Field f, String name, long values, IpcFrames.Layout layout, int[] cursor) {
        if (cursor[0] >= layout.nodeLengths().length || cursor[1] >= layout.bufferLengths().length) {
            throw new WireFormatException(RejectReason.LENGTH_MISMATCH, "the batch has fewer field nodes or buffers"
                    + " than its schema has columns (at column '" + name + "')");
        }
        long n = layout.nodeLengths()[cursor[0]++];
        if (n != values) {
            throw new WireFormatException(RejectReason.LENGTH_MISMATCH, "column '" + name + "' has " + n
                    + " values, expected " + values);
        }
        long validity = layout.bufferLengths()[cursor[1]++];
        if (validity > 0 && validity < (n + 7) / 8) {
            throw new WireFormatException(RejectReason.LENGTH_MISMATCH, "column '" + name + "' has a validity buffer of "
                    + validity + " bytes, " + n + " values need " + (n + 7) / 8);
        }
        if (f.getType() instanceof ArrowType.FixedSizeList list) {
            requireLayout(f.getChildren().get(0), name + " item", Math.multiplyExact(n, (long) list.getListSize()),
                    layout, cursor);
            return;
        }
        int width;
        if (f.getType() instanceof ArrowType.Int i) {
            width = i.getBitWidth() / 8;
        } else if (f.getType() instanceof ArrowType.FloatingPoint fp && fp.getPrecision() == FloatingPointPrecision.SINGLE) {
            width = 4;
        } else {
            throw new WireFormatException(RejectReason.WRONG_SCHEMA, "column '" + name + "' is " + f.getType()
                    + ", a type the contract does not use");
        }
        if (cursor[1] >= layout.bufferLengths().length) {
            throw new WireFormatException(RejectReason.LENGTH_MISMATCH, "the batch has fewer buffers than its schema"
                    + " needs (at column '" + name + "')");
        }
        long data = layout.bufferLengths()[cursor[1]++];
        if (data < n * width) {
            throw new WireFormatException(RejectReason.LENGTH_MISMATCH, "column '" + name + "' has a data buffer of "
                    + data + " bytes, " + n + " values need " + n * width);
        }
    }

    private static WireFormatException undecodable(byte[] bytes, Exception e) {
        return new WireFormatException(RejectReason.UNDECODABLE,
                "not a readable Arrow IPC stream (" + bytes.length + " bytes): " + e, e);
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

    /**
     * Checks, in order, the schema name, version, metadata, dimension caps, expected width, column types and list
     * widths, from the schema alone (no batch loaded yet); throws a {@link WireFormatException}.
     */
    abstract Header header(Schema schema);

    /** Copies one loaded record batch out of the reader's root, checking lengths, nulls, finiteness (in that order). */
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

    /** Longest metadata text accepted (an id or a name; it becomes a label, a key and a topic name downstream). */
    static final int MAX_METADATA_CHARS = 1000;

    static String text(Schema schema, String key) {
        String v = schema.getCustomMetadata().get(key);
        if (v == null || v.isBlank()) {
            throw new WireFormatException(RejectReason.BAD_METADATA, "schema metadata " + key + " is missing or blank");
        }
        if (v.length() > MAX_METADATA_CHARS) {
            throw new WireFormatException(RejectReason.BAD_METADATA, "schema metadata " + key + " has " + v.length()
                    + " characters, more than " + MAX_METADATA_CHARS);
        }
        return v;
    }

    /** DIMENSION_TOO_LARGE if the metadata's {@code key} is above this consumer's cap. */
    static void requireAtMost(String key, long value, int cap) {
        if (value > cap) {
            throw new WireFormatException(RejectReason.DIMENSION_TOO_LARGE, "schema metadata " + key + " = " + value
                    + " exceeds this consumer's cap of " + cap);
        }
    }

    /** WRONG_SCHEMA unless column {@code name} has type {@code type} (or is optional and absent); no dictionaries. */
    static void requireColumn(Schema schema, String name, ArrowType type, boolean optional) {
        Field f = field(schema, name, type.toString(), optional);
        if (f != null && !f.getType().equals(type)) {
            throw new WireFormatException(RejectReason.WRONG_SCHEMA,
                    "column '" + name + "' is " + f.getType() + ", expected " + type);
        }
    }

    /** WRONG_SCHEMA unless column {@code name} is a fixed-size list of {@code item}; returns the list's width. */
    static int listColumn(Schema schema, String name, ArrowType item) {
        String expected = "FixedSizeList<" + item + ">";
        Field f = field(schema, name, expected, false);
        if (!(f.getType() instanceof ArrowType.FixedSizeList list)) {
            throw new WireFormatException(RejectReason.WRONG_SCHEMA, "column '" + name + "' is " + f.getType()
                    + ", expected " + expected);
        }
        List<Field> children = f.getChildren();
        if (children.size() != 1 || !children.get(0).getType().equals(item) || children.get(0).getDictionary() != null) {
            throw new WireFormatException(RejectReason.WRONG_SCHEMA, "column '" + name + "' holds "
                    + children.stream().map(c -> c.getType().toString()).toList() + ", expected " + expected);
        }
        return list.getListSize();
    }

    /** WRONG_WIDTH unless a list column's width is what the metadata says. */
    static void requireWidth(String name, int width, int metadata) {
        if (width != metadata) {
            throw new WireFormatException(RejectReason.WRONG_WIDTH,
                    "column '" + name + "' has width " + width + ", metadata says " + metadata);
        }
    }

    private static Field field(Schema schema, String name, String expected, boolean optional) {
        Field found = null;
        for (Field f : schema.getFields()) {
            if (f.getName().equals(name)) {
                found = f;
                break;
            }
        }
        if (found == null) {
            if (optional) {
                return null;
            }
            throw new WireFormatException(RejectReason.WRONG_SCHEMA, "missing column '" + name + "' (" + expected + ")");
        }
        if (found.getDictionary() != null) {
            throw new WireFormatException(RejectReason.WRONG_SCHEMA, "column '" + name
                    + "' is dictionary-encoded, the contract has no dictionaries");
        }
        return found;
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
