package dev.livesae.wire;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.List;

import com.github.luben.zstd.ZstdOutputStream;
import org.apache.arrow.flatbuf.BodyCompressionMethod;
import org.apache.arrow.flatbuf.CompressionType;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.compression.NoCompressionCodec;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowBodyCompression;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.commons.compress.compressors.lz4.FramedLZ4CompressorOutputStream;

/**
 * Arrow IPC streams written message by message, so a record-batch header can claim what its body does not hold
 * (a row count, field-node lengths) and buffers can be compressed by hand. Buffers are listed in the IPC order
 * (per field, depth first: validity then data).
 */
final class LyingStreams {
    private LyingStreams() {}

    /** One record batch: the header's row count, each field node's length (null count 0), the buffers' bytes. */
    record Batch(long rows, long[] nodeLengths, byte[][] buffers, Byte codec) {}

    static byte[] stream(BufferAllocator allocator, Schema schema, Batch... batches) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        WriteChannel ch = new WriteChannel(Channels.newChannel(out));
        try {
            MessageSerializer.serialize(ch, schema);
            for (Batch b : batches) {
                List<ArrowFieldNode> nodes = new ArrayList<>();
                for (long n : b.nodeLengths()) {
                    nodes.add(new ArrowFieldNode(n, 0));
                }
                List<ArrowBuf> bufs = new ArrayList<>();
                for (byte[] bytes : b.buffers()) {
                    ArrowBuf buf = allocator.buffer(Math.max(bytes.length, 1));
                    buf.setBytes(0, bytes);
                    buf.writerIndex(bytes.length);
                    bufs.add(buf);
                }
                ArrowBodyCompression compression = b.codec() == null ? NoCompressionCodec.DEFAULT_BODY_COMPRESSION
                        : new ArrowBodyCompression(b.codec(), BodyCompressionMethod.BUFFER);
                try (ArrowRecordBatch rb = new ArrowRecordBatch((int) Math.min(b.rows(), Integer.MAX_VALUE), nodes, bufs,
                        compression)) {
                    MessageSerializer.serialize(ch, rb);
                } finally {
                    bufs.forEach(ArrowBuf::close);
                }
            }
            ArrowStreamWriter.writeEndOfStream(ch, IpcOption.DEFAULT);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** An activation batch's 5 field nodes and 9 buffers with the given row count claim and real little buffers. */
    static Batch activations(long rows, int dIn, long claimedRows) {
        int n = (int) rows;
        return new Batch(claimedRows, new long[] {claimedRows, claimedRows, claimedRows, claimedRows,
                Math.min(claimedRows * dIn, Integer.MAX_VALUE)},
                new byte[][] {new byte[0], new byte[8 * n], new byte[0], new byte[4 * n], new byte[0], new byte[4 * n],
                        new byte[0], new byte[0], new byte[4 * n * dIn]}, null);
    }

    static byte[] le64(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    /** A ZSTD-compressed IPC buffer holding {@code n} zero bytes: the 8-byte length, then a frame written in chunks. */
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

    static final byte ZSTD = CompressionType.ZSTD;
    static final byte LZ4 = CompressionType.LZ4_FRAME;
}
