package dev.livesae.wire;

import java.nio.ByteOrder;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVectorHelper;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;

/** The contract's columns: bulk writes, and the checks and bulk copies of reading. */
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

    // ---- reading: the checks run in the contract's order over all columns, phase by phase ----

    /** The vector of a column the schema check has already typed; null if the (optional) column is absent. */
    static <V extends FieldVector> V vector(VectorSchemaRoot root, String name, Class<V> type) {
        FieldVector v = root.getVector(name);
        if (v == null) {
            return null;
        }
        if (!type.isInstance(v)) {
            throw new WireFormatException(RejectReason.WRONG_SCHEMA,
                    "column '" + name + "' is " + v.getField().getType() + ", expected " + type.getSimpleName());
        }
        return type.cast(v);
    }

    /** The item vector of a fixed-size-list column. */
    static <V extends FieldVector> V items(FixedSizeListVector list, String name, Class<V> type) {
        FieldVector items = list.getDataVector();
        if (!type.isInstance(items)) {
            throw new WireFormatException(RejectReason.WRONG_SCHEMA,
                    "column '" + name + "' holds " + items.getField().getType() + ", expected " + type.getSimpleName());
        }
        return type.cast(items);
    }

    /**
     * LENGTH_MISMATCH unless the fixed-width column has {@code rows} values and its buffers hold them: a record
     * batch header may claim any length, so the buffers are measured before anything is sized by the claim.
     */
    static void requireLength(BaseFixedWidthVector v, String name, int rows) {
        if (v.getValueCount() != rows) {
            throw new WireFormatException(RejectReason.LENGTH_MISMATCH,
                    "column '" + name + "' has " + v.getValueCount() + " values, the batch has " + rows + " rows");
        }
        requireBuffers(v, name, rows);
    }

    /** LENGTH_MISMATCH unless the list column has {@code rows} values and its items hold {@code rows * width}. */
    static void requireLength(FixedSizeListVector list, BaseFixedWidthVector items, String name, int rows) {
        if (list.getValueCount() != rows) {
            throw new WireFormatException(RejectReason.LENGTH_MISMATCH,
                    "column '" + name + "' has " + list.getValueCount() + " values, the batch has " + rows + " rows");
        }
        requireValidityBytes(list.getValidityBuffer(), name, rows);
        long n = (long) rows * list.getListSize();
        if (items.getValueCount() < n) {
            throw new WireFormatException(RejectReason.LENGTH_MISMATCH, "column '" + name + "' holds "
                    + items.getValueCount() + " items, expected " + n);
        }
        requireBuffers(items, name + " item", n);
    }

    private static void requireBuffers(BaseFixedWidthVector v, String name, long n) {
        long need = n * v.getTypeWidth();
        if (v.getDataBuffer().capacity() < need) {
            throw new WireFormatException(RejectReason.LENGTH_MISMATCH, "column '" + name + "' has a data buffer of "
                    + v.getDataBuffer().capacity() + " bytes, " + n + " values need " + need);
        }
        requireValidityBytes(v.getValidityBuffer(), name, n);
    }

    private static void requireValidityBytes(ArrowBuf validity, String name, long n) {
        long need = (n + 7) / 8;
        if (validity.capacity() < need) {
            throw new WireFormatException(RejectReason.LENGTH_MISMATCH, "column '" + name + "' has a validity buffer of "
                    + validity.capacity() + " bytes, " + n + " values need " + need);
        }
    }

    /** NULL_VALUE if any of the first {@code n} values is null (the length check has measured the buffer). */
    static void requireNoNulls(FieldVector v, String name, long n) {
        int nulls = n == 0 ? 0 : BitVectorHelper.getNullCount(v.getValidityBuffer(), Math.toIntExact(n));
        if (nulls > 0) {
            throw new WireFormatException(RejectReason.NULL_VALUE,
                    "column '" + name + "' has " + nulls + " null(s) but is not nullable");
        }
    }

    static long[] copyLongs(BigIntVector v, int rows) {
        long[] out = new long[rows];
        if (rows > 0) {
            v.getDataBuffer().nioBuffer(0, rows * 8).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
        }
        return out;
    }

    static int[] copyInts(IntVector v, int n) {
        int[] out = new int[n];
        if (n > 0) {
            v.getDataBuffer().nioBuffer(0, Math.multiplyExact(n, 4)).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(out);
        }
        return out;
    }

    static float[] copyFloats(Float4Vector v, int n) {
        float[] out = new float[n];
        if (n > 0) {
            v.getDataBuffer().nioBuffer(0, Math.multiplyExact(n, 4)).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        }
        return out;
    }

    /** Token ids: an absent or all-null column reads as null; single nulls as {@link ActivationBatch#NO_TOKEN}. */
    static int[] copyTokenIds(IntVector v, int rows) {
        if (v == null || rows == 0 || BitVectorHelper.getNullCount(v.getValidityBuffer(), rows) == rows) {
            return null;
        }
        int[] out = new int[rows];
        for (int i = 0; i < rows; i++) {
            out[i] = v.isNull(i) ? ActivationBatch.NO_TOKEN : v.get(i);
        }
        return out;
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
