package dev.livesae.sources;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livesae.wire.ActivationBatch;
import dev.livesae.wire.ActivationBatchCodec;
import dev.livesae.wire.ActivationMeta;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArrowActivationReaderTest {

    @TempDir
    Path dir;
    final BufferAllocator allocator = new RootAllocator();

    @AfterEach
    void close() {
        allocator.close();
    }

    @Test
    void replaysAWireFormatStreamWithIdsPositionsAndTokens() throws IOException {
        ActivationBatch batch = new ActivationBatch(new ActivationMeta("m", "h", 3), new long[] {7, 7, 9},
                new int[] {0, 1, 0}, new int[] {101, ActivationBatch.NO_TOKEN, 5}, new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
        Path f = dir.resolve("wire.arrows");
        try (ActivationBatchCodec codec = new ActivationBatchCodec(allocator)) {
            Files.write(f, codec.encode(batch));
        }
        try (ArrowActivationReader r = ArrowActivationReader.open(f)) {
            assertThat(r.dIn()).isEqualTo(3);
            RowChunk a = r.next(2);
            RowChunk b = r.next(2);
            assertThat(r.next(2)).isNull();
            assertThat(a.activations()).containsExactly(1, 2, 3, 4, 5, 6);
            assertThat(a.sequenceIds()).containsExactly(7, 7);
            assertThat(a.positions()).containsExactly(0, 1);
            assertThat(a.tokenIds()).containsExactly(101, ActivationBatch.NO_TOKEN);
            assertThat(b.activations()).containsExactly(7, 8, 9);
            assertThat(b.tokenIds()).containsExactly(5);
        }
    }

    @Test
    void replaysAnArrowFileWithOnlyAnActivationColumn() throws IOException {
        Path f = writeFile(dir.resolve("only.arrow"), new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE), List.of(
                new float[] {1, 2, 3, 4}, new float[] {5, 6}));
        try (ArrowActivationReader r = ArrowActivationReader.open(f)) {
            assertThat(r.dIn()).isEqualTo(2);
            RowChunk a = r.next(10);
            RowChunk b = r.next(10);
            assertThat(a.activations()).containsExactly(1, 2, 3, 4);
            assertThat(b.activations()).containsExactly(5, 6);
            assertThat(a.sequenceIds()).isNull();
            assertThat(r.next(10)).isNull();
        }
    }

    @Test
    void refusesMissingFilesWrongColumnTypesAndNonArrowBytes() throws IOException {
        assertThatThrownBy(() -> ArrowActivationReader.open(dir.resolve("nope.arrow"))).hasMessageContaining("file not found");
        Path f64 = writeFile(dir.resolve("f64.arrow"), new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE), List.of(new double[] {1, 2}));
        assertThatThrownBy(() -> ArrowActivationReader.open(f64)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("FixedSizeList<Float32>");
        Path junk = Files.writeString(dir.resolve("junk.arrow"), "definitely not arrow at all");
        assertThatThrownBy(() -> ArrowActivationReader.open(junk)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("junk.arrow");
    }

    /** Arrow file format, one column "activation" FixedSizeList(2) of the given float type, one batch per array. */
    private Path writeFile(Path file, ArrowType.FloatingPoint type, List<Object> batches) throws IOException {
        Field item = new Field("item", FieldType.notNullable(type), null);
        Field col = new Field(ArrowActivationReader.ACTIVATION, FieldType.notNullable(new ArrowType.FixedSizeList(2)), List.of(item));
        try (VectorSchemaRoot root = VectorSchemaRoot.create(new Schema(List.of(col)), allocator);
             FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             ArrowFileWriter writer = new ArrowFileWriter(root, null, ch)) {
            writer.start();
            FixedSizeListVector list = (FixedSizeListVector) root.getVector(0);
            for (Object values : batches) {
                int n = values instanceof float[] fa ? fa.length : ((double[]) values).length;
                int rows = n / 2;
                list.allocateNew();
                for (int r = 0; r < rows; r++) {
                    list.setNotNull(r);
                }
                for (int i = 0; i < n; i++) {
                    if (values instanceof float[] fa) {
                        ((Float4Vector) list.getDataVector()).setSafe(i, fa[i]);
                    } else {
                        ((Float8Vector) list.getDataVector()).setSafe(i, ((double[]) values)[i]);
                    }
                }
                list.getDataVector().setValueCount(n);
                list.setValueCount(rows);
                root.setRowCount(rows);
                writer.writeBatch();
            }
            writer.end();
        }
        return file;
    }
}
