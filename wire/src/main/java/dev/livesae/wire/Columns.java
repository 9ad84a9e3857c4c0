package dev.livesae.wire;

import java.nio.ByteOrder;

import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;

/** Typed access to the contract's columns: bulk writes, and reads that check type, nulls and finiteness. */
final class Columns {
    private Columns() {}

    // ---- writing ----

    static void writeLongs(BigIntVector v, long[] values) {
        v.allocateNew(values.length);
        for (int i = 0; i < values.length; i++) {
            v.set(i, values[i]);
        }
        v.setValueCount(values.length);
    }

    static void writeInts(IntVector v, int[] values) {
        v.allocateNew(values.length);
        for (int i = 0; i < values.length; i++) {
            v.set(i, values[i]);
        }
        v.setValueCount(values.length);
    }

    /** Writes token ids; a null array or {@link ActivationBatch#NO_TOKEN} becomes an Arrow null. */
    static void writeTokenIds(IntVector v, int[] values, int rows) {
        v.allocateNew(rows);
        for (int i = 0; i < rows; i++) {
            if (values == null || values[i] == ActivationBatch.NO_TOKEN) {
                v.setNull(i);
            } else {
                v.set(i, values[i]);
            }
        }
        v.setValueCount(rows);
    }

    static void writeFloats(Float4Vector v, float[] values) {
        v.allocateNew(values.length);
        for (int i = 0; i < values.length; i++) {
            v.set(i, values[i]);
        }
        v.setValueCount(values.length);
    }

    static void writeFloatLists(FixedSizeListVector v, float[] values, int rows) {
        v.setInitialCapacity(rows);
        v.allocateNew();
        Float4Vector items = (Float4Vector) v.getDataVector();
        items.allocateNew(values.length);
        items.getValidityBuffer().setOne(0, (int) items.getValidityBuffer().capacity());
        var data = items.getDataBuffer();
        for (int i = 0; i < values.length; i++) {
            data.setFloat(4L * i, values[i]);
        }
        items.setValueCount(values.length);
        markRows(v, rows);
    }

    static void writeIntLists(FixedSizeListVector v, int[] values, int rows) {
        v.setInitialCapacity(rows);
        v.allocateNew();
        IntVector items = (IntVector) v.getDataVector();
        items.allocateNew(values.length);
        items.getValidityBuffer().setOne(0, (int) items.getValidityBuffer().capacity());
        var data = items.getDataBuffer();
        for (int i = 0; i < values.length; i++) {
            data.setInt(4L * i, values[i]);
        }
        items.setValueCount(values.length);
        markRows(v, rows);
    }

    private static void markRows(FixedSizeListVector v, int rows) {
        for (int i = 0; i < rows; i++) {
            v.setNotNull(i);
        }
        v.setValueCount(rows);
    }

    // ---- reading ----

    static <V extends FieldVector> V column(VectorSchemaRoot root, String name, Class<V> type, String expected) {
        FieldVector v = root.getVector(name);
        if (v == null) {
            throw new WireFormatException(RejectReason.WRONG_SCHEMA, "missing column '" + name + "' (" + expected + ")");
        }
        if (!type.isInstance(v)) {
            throw new WireFormatException(RejectReason.WRONG_SCHEMA,
                    "column '" + name + "' is " + v.getField().getType() + ", expected " + expected);
        }
        return type.cast(v);
    }

    /** The fixed-size-list column {@code name} with items of {@code itemType} and the given width. */
    static <V extends FieldVector> V listItems(VectorSchemaRoot root, String name, Class<V> itemType, String expected,
                                              int width, int rows) {
        FixedSizeListVector list = column(root, name, FixedSizeListVector.class, "FixedSizeList<" + expected + ">[" + width + "]");
        if (list.getListSize() != width) {
            throw new WireFormatException(RejectReason.WRONG_WIDTH,
                    "column '" + name + "' has width " + list.getListSize() + ", metadata says " + width);
        }
        requireNoNulls(list, name);
        FieldVector items = list.getDataVector();
        if (!itemType.isInstance(items)) {
            throw new WireFormatException(RejectReason.WRONG_SCHEMA,
                    "column '" + name + "' holds " + items.getField().getType() + ", expected " + expected);
        }
        requireLength(list, name, rows);
        if ((long) items.getValueCount() < (long) rows * width) {
            throw new WireFormatException(RejectReason.LENGTH_MISMATCH, "column '" + name + "' holds "
                    + items.getValueCount() + " items, expected " + ((long) rows * width));
        }
        requireNoNulls(items, name + " item");
        return itemType.cast(items);
    }

    static void requireLength(FieldVector v, String name, int rows) {
        if (v.getValueCount() != rows) {
            throw new WireFormatException(RejectReason.LENGTH_MISMATCH,
                    "column '" + name + "' has " + v.getValueCount() + " values, the batch has " + rows + " rows");
        }
    }

    static void requireNoNulls(FieldVector v, String name) {
        if (v.getNullCount() > 0) {
            throw new WireFormatException(RejectReason.NULL_VALUE,
                    "column '" + name + "' has " + v.getNullCount() + " null(s) but is not nullable");
        }
    }

    static long[] readLongs(VectorSchemaRoot root, String name, int rows) {
        BigIntVector v = column(root, name, BigIntVector.class, "int64");
        requireLength(v, name, rows);
        requireNoNulls(v, name);
        long[] out = new long[rows];
        for (int i = 0; i < rows; i++) {
            out[i] = v.get(i);
        }
        return out;
    }

    static int[] readInts(VectorSchemaRoot root, String name, int rows) {
        IntVector v = column(root, name, IntVector.class, "int32");
        requireLength(v, name, rows);
        requireNoNulls(v, name);
        int[] out = new int[rows];
        for (int i = 0; i < rows; i++) {
            out[i] = v.get(i);
        }
        return out;
    }

    /** Token ids: an absent or all-null column reads as null; single nulls as {@link ActivationBatch#NO_TOKEN}. */
    static int[] readTokenIds(VectorSchemaRoot root, int rows) {
        if (root.getVector(WireSchema.TOKEN_ID) == null) {
            return null;
        }
        IntVector v = column(root, WireSchema.TOKEN_ID, IntVector.class, "int32");
        requireLength(v, WireSchema.TOKEN_ID, rows);
        if (rows == 0 || v.getNullCount() == rows) {
            return null;
        }
        int[] out = new int[rows];
        for (int i = 0; i < rows; i++) {
            out[i] = v.isNull(i) ? ActivationBatch.NO_TOKEN : v.get(i);
        }
        return out;
    }

    static float[] readFloats(VectorSchemaRoot root, String name, int rows) {
        Float4Vector v = column(root, name, Float4Vector.class, "float32");
        requireLength(v, name, rows);
        requireNoNulls(v, name);
        float[] out = new float[rows];
        copyFloats(v, out, rows);
        requireFinite(out, name, 1);
        return out;
    }

    static float[] readFloatLists(VectorSchemaRoot root, String name, int width, int rows) {
        Float4Vector items = listItems(root, name, Float4Vector.class, "float32", width, rows);
        float[] out = new float[Math.multiplyExact(rows, width)];
        copyFloats(items, out, out.length);
        requireFinite(out, name, width);
        return out;
    }

    static int[] readIntLists(VectorSchemaRoot root, String name, int width, int rows) {
        IntVector items = listItems(root, name, IntVector.class, "int32", width, rows);
        int[] out = new int[Math.multiplyExact(rows, width)];
        if (out.length > 0) {
            items.getDataBuffer().nioBuffer(0, out.length * 4).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(out);
        }
        return out;
    }

    /** One bulk copy from the Arrow buffer into the heap array. */
    private static void copyFloats(Float4Vector v, float[] out, int n) {
        if (n > 0) {
            v.getDataBuffer().nioBuffer(0, n * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out, 0, n);
        }
    }

    static void requireFinite(float[] values, String name, int width) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new WireFormatException(RejectReason.NON_FINITE, "column '" + name + "' has " + values[i]
                        + " at row " + (i / width) + (width > 1 ? ", item " + (i % width) : ""));
            }
        }
    }
}
