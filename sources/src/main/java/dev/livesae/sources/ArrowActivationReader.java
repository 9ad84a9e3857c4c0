package dev.livesae.sources;

import dev.livesae.wire.ActivationBatch;
import dev.livesae.wire.WireAllocator;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Rows from an Arrow IPC file, file format ({@code ARROW1} magic) or stream format, detected from the
 * first bytes. Required column {@code activation}: FixedSizeList&lt;Float32&gt; of width d, no nulls.
 * Optional {@code sequence_id} (Int64), {@code position} (Int32) and {@code token_id} (Int32, nulls =
 * unknown) are passed on; so files of the wire schema replay as they were.
 */
public final class ArrowActivationReader implements RowSource {
    public static final String ACTIVATION = "activation";
    static final byte[] FILE_MAGIC = {'A', 'R', 'R', 'O', 'W', '1'};

    private final String name;
    private final BufferAllocator allocator;
    private final ArrowReader reader;
    private final int dIn;
    private VectorSchemaRoot root;
    private int cursor;
    private int loadedRows;

    private ArrowActivationReader(String name, BufferAllocator allocator, ArrowReader reader) throws IOException {
        this.name = name;
        this.allocator = allocator;
        this.reader = reader;
        Schema schema = reader.getVectorSchemaRoot().getSchema();
        this.dIn = widthOf(schema, name);
        check(schema, "sequence_id", new ArrowType.Int(64, true));
        check(schema, "position", new ArrowType.Int(32, true));
        check(schema, "token_id", new ArrowType.Int(32, true));
        this.root = reader.getVectorSchemaRoot();
    }

    /** Opens the file; a missing file, a non-Arrow file or a wrong schema throws IllegalArgumentException. */
    public static ArrowActivationReader open(Path file) {
        String name = file.toString();
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("file not found: " + file);
        }
        BufferAllocator allocator = WireAllocator.root().newChildAllocator("arrow-replay " + file.getFileName(), 0, Long.MAX_VALUE);
        try {
            byte[] head = new byte[6];
            try (InputStream in = Files.newInputStream(file)) {
                int n = in.readNBytes(head, 0, 6);
                if (n < 6) {
                    throw new IllegalArgumentException(name + ": too short to be an Arrow IPC file (" + n + " bytes)");
                }
            }
            ArrowReader reader;
            if (java.util.Arrays.equals(head, FILE_MAGIC)) {
                reader = new ArrowFileReader(FileChannel.open(file, StandardOpenOption.READ), allocator);
            } else {
                reader = new ArrowStreamReader(Files.newInputStream(file), allocator);
            }
            try {
                return new ArrowActivationReader(name, allocator, reader);
            } catch (IOException | RuntimeException e) {
                reader.close();
                throw e;
            }
        } catch (NoSuchFileException e) {
            allocator.close();
            throw new IllegalArgumentException("file not found: " + file);
        } catch (IOException e) {
            allocator.close();
            throw new IllegalArgumentException(name + ": not a readable Arrow IPC file or stream: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            allocator.close();
            if (e instanceof IllegalArgumentException) {
                throw e;
            }
            throw new IllegalArgumentException(name + ": not a readable Arrow IPC file or stream: " + e, e);
        }
    }

    private static int widthOf(Schema schema, String name) {
        Field f = schema.getFields().stream().filter(x -> x.getName().equals(ACTIVATION)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(name + ": no '" + ACTIVATION + "' column (columns: "
                        + schema.getFields().stream().map(Field::getName).toList() + ")"));
        if (!(f.getType() instanceof ArrowType.FixedSizeList list) || f.getChildren().size() != 1
                || !(f.getChildren().get(0).getType() instanceof ArrowType.FloatingPoint fp)
                || fp.getPrecision() != FloatingPointPrecision.SINGLE) {
            throw new IllegalArgumentException(name + ": column '" + ACTIVATION + "' must be FixedSizeList<Float32> (got "
                    + f.getType() + (f.getChildren().isEmpty() ? "" : "<" + f.getChildren().get(0).getType() + ">") + ")");
        }
        return list.getListSize();
    }

    private static void check(Schema schema, String column, ArrowType type) {
        schema.getFields().stream().filter(x -> x.getName().equals(column)).findFirst().ifPresent(f -> {
            if (!f.getType().equals(type)) {
                throw new IllegalArgumentException("column '" + column + "' must be " + type + " (got " + f.getType() + ")");
            }
        });
    }

    @Override
    public int dIn() {
        return dIn;
    }

    @Override
    public RowChunk next(int maxRows) {
        try {
            while (cursor >= loadedRows) {
                if (!reader.loadNextBatch()) {
                    return null;
                }
                root = reader.getVectorSchemaRoot();
                loadedRows = root.getRowCount();
                cursor = 0;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(name + ": reading the next Arrow batch failed", e);
        }
        int n = Math.min(maxRows, loadedRows - cursor);
        FixedSizeListVector list = (FixedSizeListVector) root.getVector(ACTIVATION);
        Float4Vector values = (Float4Vector) list.getDataVector();
        float[] act = new float[n * dIn];
        for (int r = 0; r < n; r++) {
            if (list.isNull(cursor + r)) {
                throw new IllegalArgumentException(name + ": null activation in row " + (cursor + r));
            }
        }
        values.getDataBuffer().nioBuffer((long) cursor * dIn * 4, n * dIn * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(act);
        long[] seq = null;
        int[] pos = null;
        int[] tok = null;
        FieldVector s = root.getVector("sequence_id");
        if (s != null) {
            seq = new long[n];
            for (int r = 0; r < n; r++) {
                seq[r] = ((BigIntVector) s).get(cursor + r);
            }
        }
        FieldVector p = root.getVector("position");
        if (p != null) {
            pos = new int[n];
            for (int r = 0; r < n; r++) {
                pos[r] = ((IntVector) p).get(cursor + r);
            }
        }
        FieldVector t = root.getVector("token_id");
        if (t != null) {
            tok = new int[n];
            for (int r = 0; r < n; r++) {
                tok[r] = t.isNull(cursor + r) ? ActivationBatch.NO_TOKEN : ((IntVector) t).get(cursor + r);
            }
        }
        cursor += n;
        return new RowChunk(n, dIn, act, seq, pos, tok);
    }

    @Override
    public void close() {
        try {
            reader.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            allocator.close();
        }
    }
}
