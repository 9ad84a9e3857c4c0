package dev.livesae.wire;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.Schema;

/** Writes hand-made Arrow streams, including ones that break the contract, for decoder tests. */
final class RawStreams {
    private RawStreams() {}

    /** A stream of {@code schema} with one batch per filler (zero fillers = empty stream). */
    @SafeVarargs
    static byte[] write(BufferAllocator allocator, Schema schema, Consumer<VectorSchemaRoot>... batches) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
             ArrowStreamWriter writer = new ArrowStreamWriter(root, null, Channels.newChannel(out))) {
            writer.start();
            for (Consumer<VectorSchemaRoot> fill : batches) {
                fill.accept(root);
                writer.writeBatch();
            }
            writer.end();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    /** The same schema with one metadata entry replaced (null value removes it). */
    static Schema withMetadata(Schema schema, String key, String value) {
        Map<String, String> md = new HashMap<>(schema.getCustomMetadata());
        if (value == null) {
            md.remove(key);
        } else {
            md.put(key, value);
        }
        return new Schema(schema.getFields(), md);
    }

    static Schema withFields(Schema schema, List<org.apache.arrow.vector.types.pojo.Field> fields) {
        return new Schema(fields, schema.getCustomMetadata());
    }
}
