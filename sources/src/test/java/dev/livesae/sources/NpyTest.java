package dev.livesae.sources;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {

    @TempDir
    Path dir;

    /** An .npy file with the given header dict and raw data, version major.0. */
    static Path npy(Path file, int major, String dict, byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(Npy.MAGIC);
        out.write(new byte[] {(byte) major, 0});
        byte[] header = (dict + "\n").getBytes(StandardCharsets.ISO_8859_1);
        if (major == 1) {
            out.write(header.length & 0xFF);
            out.write(header.length >>> 8);
        } else {
            out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(header.length).array());
        }
        out.write(header);
        out.write(data);
        Files.write(file, out.toByteArray());
        return file;
    }

    @Test
    void float32RoundTripsInChunks() {
        float[] values = new float[7 * 3];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 0.5f - 3;
        }
        Path f = dir.resolve("a.npy");
        Npy.writeFloat32(f, values, 7, 3);
        try (Npy.Reader r = Npy.open(f)) {
            assertThat(r.dIn()).isEqualTo(3);
            assertThat(r.header().rows()).isEqualTo(7);
            RowChunk a = r.next(4);
            RowChunk b = r.next(4);
            assertThat(r.next(4)).isNull();
            assertThat(a.rows()).isEqualTo(4);
            assertThat(b.rows()).isEqualTo(3);
            float[] joined = new float[values.length];
            System.arraycopy(a.activations(), 0, joined, 0, 12);
            System.arraycopy(b.activations(), 0, joined, 12, 9);
            assertThat(joined).containsExactly(values);
            assertThat(a.sequenceIds()).isNull();
        }
        // header is padded so the data starts 64-byte aligned, as numpy writes it
        assertThat(Npy.readAll(f)).containsExactly(values);
    }

    @Test
    void readsFloat16AndVersion2Headers() throws IOException {
        short[] halves = {0x3C00, (short) 0xC000, 0x3800, 0x7BFF, 0x0001, 0x0000, (short) 0x8000, 0x7C00};
        float[] expected = {1f, -2f, 0.5f, 65504f, 5.9604645e-8f, 0f, -0f, Float.POSITIVE_INFINITY};
        ByteBuffer data = ByteBuffer.allocate(2 * halves.length).order(ByteOrder.LITTLE_ENDIAN);
        for (short h : halves) {
            data.putShort(h);
        }
        Path f = npy(dir.resolve("h.npy"), 2, "{'descr': '<f2', 'fortran_order': False, 'shape': (4, 2), }", data.array());
        try (Npy.Reader r = Npy.open(f)) {
            assertThat(r.header().descr()).isEqualTo("<f2");
            assertThat(r.next(100).activations()).containsExactly(expected);
        }
    }

    @Test
    void halfToFloatMatchesThePlainFormulaForAll65536Values() {
        for (int bits = 0; bits < 0x10000; bits++) {
            int sign = bits >>> 15;
            int exp = (bits >>> 10) & 0x1F;
            int mant = bits & 0x3FF;
            double reference;
            if (exp == 0x1F) {
                reference = mant == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
            } else if (exp == 0) {
                reference = mant * Math.pow(2, -24);
            } else {
                reference = (1 + mant / 1024.0) * Math.pow(2, exp - 15);
            }
            reference = sign == 1 ? -reference : reference;
            float got = Npy.halfToFloat((short) bits);
            if (Double.isNaN(reference)) {
                assertThat(got).as("bits %04x", bits).isNaN();
            } else {
                assertThat(got).as("bits %04x", bits).isEqualTo((float) reference);
                assertThat(Float.floatToIntBits(got) >>> 31).as("sign of %04x", bits).isEqualTo(sign);
            }
        }
    }

    @Test
    void refusesBadFilesSayingWhatIsWrong() throws IOException {
        byte[] eight = new byte[8 * 4];
        assertThatThrownBy(() -> Npy.open(dir.resolve("missing.npy"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("file not found").hasMessageContaining("missing.npy");
        Path notNpy = Files.writeString(dir.resolve("text.npy"), "hello world, not numpy");
        assertThatThrownBy(() -> Npy.open(notNpy)).hasMessageContaining("bad magic");
        Path f64 = npy(dir.resolve("f64.npy"), 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", eight);
        assertThatThrownBy(() -> Npy.open(f64)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unsupported .npy dtype <f8");
        Path big = npy(dir.resolve("be.npy"), 1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }", eight);
        assertThatThrownBy(() -> Npy.open(big)).hasMessageContaining(">f4");
        Path fortran = npy(dir.resolve("f.npy"), 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", eight);
        assertThatThrownBy(() -> Npy.open(fortran)).hasMessageContaining("Fortran");
        Path threeD = npy(dir.resolve("3d.npy"), 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 2), }", eight);
        assertThatThrownBy(() -> Npy.open(threeD)).hasMessageContaining("2-D").hasMessageContaining("2, 2, 2");
        Path truncated = npy(dir.resolve("t.npy"), 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (100, 2), }", eight);
        assertThatThrownBy(() -> Npy.open(truncated)).hasMessageContaining("truncated").hasMessageContaining("(100, 2)");
        Path noShape = npy(dir.resolve("n.npy"), 1, "{'descr': '<f4', 'fortran_order': False}", eight);
        assertThatThrownBy(() -> Npy.open(noShape)).hasMessageContaining("malformed .npy header");
        Path version9 = npy(dir.resolve("v.npy"), 9, "{}", eight);
        assertThatThrownBy(() -> Npy.open(version9)).hasMessageContaining("unsupported .npy version 9");
    }
}
