package dev.livesae.wire;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.apache.arrow.flatbuf.Buffer;
import org.apache.arrow.flatbuf.DictionaryBatch;
import org.apache.arrow.flatbuf.Field;
import org.apache.arrow.flatbuf.FieldNode;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;

/**
 * A read-only walk over the messages of one Arrow IPC stream held in a byte array, before Arrow reads it.
 * Every length a message states (metadata, body, buffer ranges, field nodes, the uncompressed length in front of
 * a compressed buffer) is checked against the record's own bytes, and what loading would allocate is added up,
 * so that nothing is allocated on the strength of a claim. It allocates nothing but flatbuffer views.
 *
 * <p>Stream format: each message is {@code [0xFFFFFFFF] [int32 metadata length] [flatbuffer Message, padded]
 * [body]}; a length of 0 ends the stream (so does the end of the bytes). The older format without the
 * {@code 0xFFFFFFFF} continuation marker is read as well.
 */
final class IpcFrames {
    /** Fields (columns and their children) a schema may declare; the contract's schemas have at most 11. */
    static final int MAX_FIELDS = 64;
    /** Nesting a schema may declare; the contract's deepest is 2 (a list and its item). */
    static final int MAX_DEPTH = 4;

    /**
     * What the record-batch headers claim.
     *
     * @param rows         rows summed over the record batches (saturating)
     * @param batches      record batches
     * @param decodedBytes bytes loading would allocate at most: every buffer at its uncompressed length plus a
     *                     validity bitmap per field node (saturating)
     * @param fields       fields the schema declares, children included (counting stops past {@link #MAX_FIELDS})
     */
    record Summary(long rows, int batches, long decodedBytes, int fields, java.util.List<Layout> layouts) {}

    /**
     * One record batch's claims: its row count, each field node's length (depth-first, schema order) and each
     * buffer's length once loaded (uncompressed).
     */
    record Layout(long rows, long[] nodeLengths, long[] bufferLengths) {}

    private IpcFrames() {}

    /** Walks the stream; a stream that is not well formed is {@link RejectReason#UNDECODABLE}. */
    static Summary scan(byte[] bytes) {
        ByteBuffer all = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int pos = 0;
        int fields = -1;
        long rows = 0;
        long decoded = 0;
        int batches = 0;
        java.util.List<Layout> layouts = new java.util.ArrayList<>(1);
        while (pos < bytes.length) {
            int at = pos;
            if (bytes.length - pos < 4) {
                throw undecodable(bytes, "the message at byte " + at + " is cut inside its length prefix");
            }
            int length = all.getInt(pos);
            pos += 4;
            if (length == -1) {
                if (bytes.length - pos < 4) {
                    throw undecodable(bytes, "the message at byte " + at + " is cut inside its length prefix");
                }
                length = all.getInt(pos);
                pos += 4;
            }
            if (length == 0) {
                break;
            }
            if (length < 0 || length > bytes.length - pos) {
                throw undecodable(bytes, "the message at byte " + at + " claims " + Integer.toUnsignedLong(length)
                        + " metadata bytes, " + (bytes.length - pos) + " remain");
            }
            Message message;
            byte type;
            long bodyLength;
            try {
                message = Message.getRootAsMessage(all.slice(pos, length).order(ByteOrder.LITTLE_ENDIAN));
                type = message.headerType();
                bodyLength = message.bodyLength();
            } catch (RuntimeException e) {
                throw undecodable(bytes, "unreadable message metadata at byte " + at + ": " + e);
            }
            pos += length;
            if (bodyLength < 0 || bodyLength > bytes.length - pos) {
                throw undecodable(bytes, "the message at byte " + at + " claims a body of " + bodyLength + " bytes, "
                        + (bytes.length - pos) + " remain");
            }
            try {
                if (type == MessageHeader.Schema) {
                    if (fields >= 0) {
                        throw undecodable(bytes, "a second schema message at byte " + at);
                    }
                    fields = countFields((org.apache.arrow.flatbuf.Schema) message.header(new org.apache.arrow.flatbuf.Schema()));
                } else if (type == MessageHeader.RecordBatch || type == MessageHeader.DictionaryBatch) {
                    if (fields < 0) {
                        throw undecodable(bytes, "a record batch before the schema message, at byte " + at);
                    }
                    RecordBatch batch = type == MessageHeader.RecordBatch
                            ? (RecordBatch) message.header(new RecordBatch())
                            : ((DictionaryBatch) message.header(new DictionaryBatch())).data();
                    if (batch == null || batch.length() < 0) {
                        throw undecodable(bytes, "a record batch without a valid length at byte " + at);
                    }
                    Layout layout = layout(bytes, all, batch, pos, bodyLength, at);
                    if (type == MessageHeader.RecordBatch) {
                        rows = add(rows, batch.length());
                        batches++;
                        layouts.add(layout);
                    }
                    long[] lengths = layout.bufferLengths();
                    for (long l : lengths) {
                        decoded = add(decoded, l);
                    }
                    for (long n : layout.nodeLengths()) {
                        decoded = add(decoded, (n + 7) / 8); // a reader may allocate the validity bitmap itself
                    }
                } else {
                    throw undecodable(bytes, "message type " + type + " at byte " + at + " has no place in an IPC stream");
                }
            } catch (WireFormatException e) {
                throw e;
            } catch (RuntimeException e) {
                throw undecodable(bytes, "unreadable message metadata at byte " + at + ": " + e);
            }
            pos += (int) bodyLength;
        }
        if (fields < 0) {
            throw undecodable(bytes, "no schema message");
        }
        return new Summary(rows, batches, decoded, fields, layouts);
    }

    /** The batch's claims; every buffer must lie inside the body. */
    private static Layout layout(byte[] bytes, ByteBuffer all, RecordBatch batch, int bodyStart, long bodyLength, int at) {
        if (batch.buffersLength() > 4 * MAX_FIELDS || batch.nodesLength() > MAX_FIELDS) {
            throw undecodable(bytes, "the batch at byte " + at + " has " + batch.nodesLength() + " field nodes and "
                    + batch.buffersLength() + " buffers, more than a schema of at most " + MAX_FIELDS + " fields has");
        }
        boolean compressed = batch.compression() != null;
        long[] buffers = new long[batch.buffersLength()];
        Buffer b = new Buffer();
        for (int i = 0; i < buffers.length; i++) {
            batch.buffers(b, i);
            long offset = b.offset();
            long length = b.length();
            if (offset < 0 || length < 0 || offset > bodyLength - length) {
                throw undecodable(bytes, "buffer " + i + " of the batch at byte " + at + " spans [" + offset + ", "
                        + (offset + length) + "), outside its body of " + bodyLength + " bytes");
            }
            if (compressed && length > 0) {
                if (length < 8) {
                    throw undecodable(bytes, "compressed buffer " + i + " of the batch at byte " + at
                            + " is shorter than its 8-byte length prefix");
                }
                long uncompressed = all.getLong(bodyStart + (int) offset);
                if (uncompressed == -1) {
                    buffers[i] = length - 8;
                } else if (uncompressed < 0) {
                    throw undecodable(bytes, "compressed buffer " + i + " of the batch at byte " + at
                            + " claims " + uncompressed + " uncompressed bytes");
                } else {
                    buffers[i] = uncompressed;
                }
            } else {
                buffers[i] = length;
            }
        }
        long[] nodes = new long[batch.nodesLength()];
        FieldNode node = new FieldNode();
        for (int i = 0; i < nodes.length; i++) {
            batch.nodes(node, i);
            if (node.length() < 0 || node.nullCount() < 0 || node.nullCount() > node.length()) {
                throw undecodable(bytes, "field node " + i + " of the batch at byte " + at + " has length "
                        + node.length() + " and null count " + node.nullCount());
            }
            nodes[i] = node.length();
        }
        return new Layout(batch.length(), nodes, buffers);
    }

    private static int countFields(org.apache.arrow.flatbuf.Schema schema) {
        int[] count = {0};
        Field f = new Field();
        for (int i = 0; i < schema.fieldsLength() && count[0] <= MAX_FIELDS; i++) {
            count(schema.fields(f, i), 1, count);
        }
        return count[0];
    }

    private static void count(Field field, int depth, int[] count) {
        count[0] += depth > MAX_DEPTH ? MAX_FIELDS + 1 : 1;
        for (int i = 0; i < field.childrenLength() && count[0] <= MAX_FIELDS; i++) {
            count(field.children(new Field(), i), depth + 1, count);
        }
    }

    private static long add(long a, long b) {
        long s = a + b;
        return s < 0 ? Long.MAX_VALUE : s;
    }

    private static WireFormatException undecodable(byte[] bytes, String detail) {
        return new WireFormatException(RejectReason.UNDECODABLE,
                "not a readable Arrow IPC stream (" + bytes.length + " bytes): " + detail);
    }
}
