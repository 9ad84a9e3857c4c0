package dev.livesae.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;

import com.github.luben.zstd.ZstdOutputStream;
import org.apache.arrow.flatbuf.BodyCompressionMethod;
import org.apache.arrow.flatbuf.CompressionType;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.compression.NoCompressionCodec;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowBodyCompression;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.commons.compress.compressors.lz4.FramedLZ4CompressorOutputStream;

/**
 * Hand-written Arrow IPC records that lie: written message by message (schema, one record batch, end of stream)
 * so a record-batch header can claim rows its body does not hold, and buffers can be compressed by hand. Works
 * for any schema of the contract's column types (ints, float32, fixed-size lists of them).
 */
final class HostileRecords {
    private HostileRecords() {}

    /** A valid stream header followed by a batch whose header and field nodes claim {@code rows} rows; buffers of 8 bytes. */
    static byte[] claimingRows(BufferAllocator allocator, Schema schema, int rows) {
        return write(allocator, schema, rows, n -> new byte[8], null);
    }

    /** A well-formed batch of {@code rows} zero rows whose buffers are ZSTD frames: tiny on the wire, big expanded. */
    static byte[] zstdExpanding(BufferAllocator allocator, Schema schema, int rows) {
        return write(allocator, schema, rows, HostileRecords::zstdZeros, CompressionType.ZSTD);
    }

    /**
     * A batch of {@code rows} rows whose buffers are LZ4 frames holding exactly their declared length, except the
     * largest, which declares its length but holds {@code actual} zero bytes.
     */
    static byte[] lz4PastDeclaredLength(BufferAllocator allocator, Schema schema, int rows, long actual) {
        long[] largest = {0};
        walk(schema, rows, n -> {
            largest[0] = Math.max(largest[0], n);
            return new byte[0];
        }, new ArrayList<>(), new ArrayList<>());
        return write(allocator, schema, rows, n -> lz4Zeros(n, n == largest[0] ? actual : n), CompressionType.LZ4_FRAME);
    }

    /** The same stream with one schema metadata entry replaced: the record batch is copied unchanged. */
    static byte[] withMetadata(BufferAllocator allocator, byte[] valid, String key, String value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(valid), allocator)) {
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            reader.loadNextBatch();
            Map<String, String> md = new HashMap<>(root.getSchema().getCustomMetadata());
            md.put(key, value);
            Schema lying = new Schema(root.getSchema().getFields(), md);
            VectorSchemaRoot relabelled = new VectorSchemaRoot(lying, root.getFieldVectors(), root.getRowCount());
            try (ArrowStreamWriter writer = new ArrowStreamWriter(relabelled, null, Channels.newChannel(out))) {
                writer.start();
                writer.writeBatch();
                writer.end();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static byte[] write(BufferAllocator allocator, Schema schema, int rows, LongFunction<byte[]> data, Byte codec) {
        List<ArrowFieldNode> nodes = new ArrayList<>();
        List<byte[]> buffers = new ArrayList<>();
        walk(schema, rows, data, nodes, buffers);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        WriteChannel ch = new WriteChannel(Channels.newChannel(out));
        List<ArrowBuf> bufs = new ArrayList<>();
        try {
            MessageSerializer.serialize(ch, schema);
            for (byte[] bytes : buffers) {
                ArrowBuf buf = allocator.buffer(Math.max(bytes.length, 1));
                buf.setBytes(0, bytes);
                buf.writerIndex(bytes.length);
                bufs.add(buf);
            }
            ArrowBodyCompression compression = codec == null ? NoCompressionCodec.DEFAULT_BODY_COMPRESSION
                    : new ArrowBodyCompression(codec, BodyCompressionMethod.BUFFER);
            try (ArrowRecordBatch batch = new ArrowRecordBatch(rows, nodes, bufs, compression)) {
                MessageSerializer.serialize(ch, batch);
            }
            ArrowStreamWriter.writeEndOfStream(ch, IpcOption.DEFAULT);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            bufs.forEach(ArrowBuf::close);
        }
        return out.toByteArray();
    }

    /** Field nodes and buffers in IPC order: per field, depth first, an (empty) validity buffer then the data. */
    private static void walk(Schema schema, long rows, LongFunction<byte[]> data, List<ArrowFieldNode> nodes,
                             List<byte[]> buffers) {
        for (Field f : schema.getFields()) {
            walk(f, rows, data, nodes, buffers);
        }
    }

    private static void walk(Field f, long n, LongFunction<byte[]> data, List<ArrowFieldNode> nodes, List<byte[]> buffers) {
        nodes.add(new ArrowFieldNode((int) Math.min(n, Integer.MAX_VALUE), 0));
        buffers.add(new byte[0]);
        if (f.getType() instanceof ArrowType.FixedSizeList list) {
            walk(f.getChildren().get(0), n * list.getListSize(), data, nodes, buffers);
        } else {
            int width = f.getType() instanceof ArrowType.Int i ? i.getBitWidth() / 8 : 4;
            buffers.add(data.apply(n * width));
        }
    }

    private static byte[] le64(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    /** A ZSTD-compressed IPC buffer of {@code n} zero bytes: the 8-byte length, then a frame written in 1 MiB chunks. */
    static byte[] zstdZeros(long n) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(le64(n));
        try (ZstdOutputStream z = new ZstdOutputStream(out)) {
            byte[] chunk = new byte[1 << 20];
            for (long left = n; left > 0; left -= chunk.length) {
                z.write(chunk, 0, (int) Math.min(chunk.length, left));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** An LZ4-frame IPC buffer that declares {@code declared} bytes and holds {@code actual} zero bytes. */
    static byte[] lz4Zeros(long declared, long actual) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(le64(declared));
        try (FramedLZ4CompressorOutputStream z = new FramedLZ4CompressorOutputStream(out)) {
            byte[] chunk = new byte[1 << 20];
            for (long left = actual; left > 0; left -= chunk.length) {
                z.write(chunk, 0, (int) Math.min(chunk.length, left));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
