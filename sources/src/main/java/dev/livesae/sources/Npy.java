package dev.livesae.sources;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy {@code .npy} files of 2-D float arrays (format spec: numpy.lib.format, versions 1.0-3.0): a
 * magic string, a version, a little-endian header length (2 bytes in 1.0, 4 in 2.0/3.0) and a Python
 * dict literal {@code {'descr': '<f4', 'fortran_order': False, 'shape': (N, d), }} padded with spaces.
 * Reading supports {@code <f4} and {@code <f2} in C order; writing produces version 1.0 {@code <f4}.
 */
public final class Npy {
    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    /** Parsed header: element type, rows, columns. */
    public record Header(String descr, long rows, int cols, int bytesPerValue) {
    }

    private Npy() {
    }

    /** Reads and validates the header; the stream is left at the first data byte. */
    static Header readHeader(DataInputStream in, String name) throws IOException {
        byte[] magic = new byte[6];
        try {
            in.readFully(magic);
        } catch (EOFException e) {
            throw new IllegalArgumentException(name + ": not an .npy file (shorter than the magic string)");
        }
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw new IllegalArgumentException(name + ": not an .npy file (bad magic string)");
        }
        int major = in.readUnsignedByte();
        int minor = in.readUnsignedByte();
        long headerLength;
        if (major == 1) {
            headerLength = Short.toUnsignedInt(Short.reverseBytes(in.readShort()));
        } else if (major == 2 || major == 3) {
            headerLength = Integer.toUnsignedLong(Integer.reverseBytes(in.readInt()));
        } else {
            throw new IllegalArgumentException(name + ": unsupported .npy version " + major + "." + minor);
        }
        if (headerLength > 1 << 20) {
            throw new IllegalArgumentException(name + ": .npy header length " + headerLength + " is implausible");
        }
        byte[] header = new byte[(int) headerLength];
        try {
            in.readFully(header);
        } catch (EOFException e) {
            throw new IllegalArgumentException(name + ": .npy header truncated (expected " + headerLength + " bytes)");
        }
        String dict = new String(header, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Matcher descr = DESCR.matcher(dict);
        Matcher fortran = FORTRAN.matcher(dict);
        Matcher shape = SHAPE.matcher(dict);
        if (!descr.find() || !fortran.find() || !shape.find()) {
            throw new IllegalArgumentException(name + ": malformed .npy header (need descr, fortran_order and shape): " + dict.strip());
        }
        String type = descr.group(1);
        int bytes = switch (type) {
            case "<f4" -> 4;
            case "<f2" -> 2;
            default -> throw new IllegalArgumentException(name + ": unsupported .npy dtype " + type
                    + " (supported: float32 '<f4' and float16 '<f2', little-endian)");
        };
        if (fortran.group(1).equals("True")) {
            throw new IllegalArgumentException(name + ": Fortran-order .npy arrays are not supported (need C order)");
        }
        String[] dims = shape.group(1).split(",");
        java.util.List<Long> values = new java.util.ArrayList<>();
        for (String dim : dims) {
            if (!dim.isBlank()) {
                try {
                    values.add(Long.parseLong(dim.strip()));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(name + ": malformed .npy shape (" + shape.group(1) + ")");
                }
            }
        }
        if (values.size() != 2) {
            throw new IllegalArgumentException(name + ": .npy shape must be 2-D [N, d] (got (" + shape.group(1).strip() + "))");
        }
        if (values.get(1) < 1 || values.get(1) > 1 << 20 || values.get(0) < 0) {
            throw new IllegalArgumentException(name + ": .npy shape (" + values.get(0) + ", " + values.get(1) + ") out of range");
        }
        return new Header(type, values.get(0), values.get(1).intValue(), bytes);
    }

    /** Opens an .npy file for streaming row reads; header problems throw IllegalArgumentException. */
    public static Reader open(Path file) {
        try {
            return new Reader(Files.newInputStream(file), file.toString(), Files.size(file));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("file not found: " + file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Streams the rows of one .npy file. */
    public static final class Reader implements RowSource {
        private final DataInputStream in;
        private final String name;
        private final Header header;
        private long read;

        Reader(InputStream raw, String name, long fileSize) throws IOException {
            this.in = new DataInputStream(new BufferedInputStream(raw, 1 << 16));
            this.name = name;
            try {
                this.header = readHeader(in, name);
            } catch (IOException | RuntimeException e) {
                in.close();
                throw e;
            }
            long dataBytes = header.rows() * header.cols() * header.bytesPerValue();
            if (fileSize >= 0 && fileSize < dataBytes) {
                in.close();
                throw new IllegalArgumentException(name + ": .npy data truncated: shape (" + header.rows() + ", " + header.cols()
                        + ") needs " + dataBytes + " bytes of " + header.descr() + ", file is " + fileSize + " bytes");
            }
        }

        public Header header() {
            return header;
        }

        @Override
        public int dIn() {
            return header.cols();
        }

        @Override
        public RowChunk next(int maxRows) {
            int n = (int) Math.min(maxRows, header.rows() - read);
            if (n <= 0) {
                return null;
            }
            int d = header.cols();
            byte[] raw = new byte[n * d * header.bytesPerValue()];
            try {
                in.readFully(raw);
            } catch (EOFException e) {
                throw new IllegalArgumentException(name + ": .npy data ends early at row " + read);
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + name + " failed", e);
            }
            ByteBuffer buf = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[n * d];
            if (header.bytesPerValue() == 4) {
                buf.asFloatBuffer().get(out);
            } else {
                for (int i = 0; i < out.length; i++) {
                    out[i] = halfToFloat(buf.getShort(2 * i));
                }
            }
            read += n;
            return new RowChunk(n, d, out, null, null, null);
        }

        @Override
        public void close() {
            try {
                in.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** IEEE 754 binary16 to float (subnormals, infinities and NaN included). */
    static float halfToFloat(short half) {
        int h = half & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1F;
        int mant = h & 0x3FF;
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f; // subnormal: mant x 2^-24
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** Writes a float32 [rows, cols] C-order array as .npy version 1.0. */
    public static void writeFloat32(Path file, float[] values, int rows, int cols) {
        if ((long) rows * cols != values.length) {
            throw new IllegalArgumentException("values length " + values.length + " is not rows " + rows + " x cols " + cols);
        }
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + rows + ", " + cols + "), }";
        int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
        int padding = (64 - unpadded % 64) % 64;
        String header = dict + " ".repeat(padding) + "\n";
        ByteBuffer data = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        data.asFloatBuffer().put(values);
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(file))) {
            out.write(MAGIC);
            out.write(new byte[] {1, 0});
            out.write(header.length() & 0xFF);
            out.write(header.length() >>> 8);
            out.write(header.getBytes(StandardCharsets.ISO_8859_1));
            out.write(data.array());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** Reads a whole float32/float16 [N, d] .npy file (for dictionaries and tests). */
    public static float[] readAll(Path file) {
        try (Reader r = open(file)) {
            RowChunk c = r.next((int) Math.min(Integer.MAX_VALUE / Math.max(1, r.dIn()), r.header().rows()));
            return c == null ? new float[0] : c.activations();
        }
    }
}
