package dev.livesae.wire;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;

import org.apache.arrow.compression.CommonsCompressionFactory;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.compression.AbstractCompressionCodec;
import org.apache.arrow.vector.compression.CompressionCodec;
import org.apache.arrow.vector.compression.CompressionUtil;
import org.apache.arrow.vector.compression.NoCompressionCodec;
import org.apache.commons.compress.compressors.lz4.FramedLZ4CompressorInputStream;

/**
 * The body codecs a reader uses, each expanding a buffer into exactly the uncompressed length it declares (which
 * {@link IpcFrames} has already checked against the cap) and never further. ZSTD is Arrow's own codec, which
 * decompresses into a buffer of the declared length. LZ4_FRAME is not: Arrow's codec expands the whole frame into
 * a growing heap array first, so a small frame of a few kilobytes that declares a small length but expands to
 * gigabytes would fill the heap before any check; {@link BoundedLz4} stops at the declared length instead.
 */
final class BoundedCompression implements CompressionCodec.Factory {
    static final BoundedCompression INSTANCE = new BoundedCompression();

    private BoundedCompression() {}

    @Override
    public CompressionCodec createCodec(CompressionUtil.CodecType type) {
        return switch (type) {
            case NO_COMPRESSION -> NoCompressionCodec.INSTANCE;
            case LZ4_FRAME -> new ReleasingOnFailure(new BoundedLz4());
            case ZSTD -> new ReleasingOnFailure(CommonsCompressionFactory.INSTANCE.createCodec(type));
        };
    }

    @Override
    public CompressionCodec createCodec(CompressionUtil.CodecType type, int level) {
        return createCodec(type);
    }

    /**
     * Arrow's loader retains a compressed buffer before decompressing it and counts on the codec to release it;
     * a codec that throws (a corrupt frame, a frame longer than declared) does not, and the record's whole body
     * would stay allocated. This releases it, so a rejected record leaves nothing behind.
     */
    private record ReleasingOnFailure(CompressionCodec codec) implements CompressionCodec {
        @Override
        public ArrowBuf compress(BufferAllocator allocator, ArrowBuf uncompressed) {
            return codec.compress(allocator, uncompressed);
        }

        @Override
        public ArrowBuf decompress(BufferAllocator allocator, ArrowBuf compressed) {
            try {
                return codec.decompress(allocator, compressed);
            } catch (RuntimeException e) {
                compressed.close();
                throw e;
            }
        }

        @Override
        public CompressionUtil.CodecType getCodecType() {
            return codec.getCodecType();
        }
    }

    /** LZ4 frame decompression into exactly the declared length; a frame that holds more is refused. */
    static final class BoundedLz4 extends AbstractCompressionCodec {
        private static final int CHUNK = 64 << 10;

        @Override
        protected ArrowBuf doCompress(BufferAllocator allocator, ArrowBuf uncompressed) {
            throw new UnsupportedOperationException("livesae writers leave bodies uncompressed");
        }

        @Override
        protected ArrowBuf doDecompress(BufferAllocator allocator, ArrowBuf compressed) {
            long declared = readUncompressedLength(compressed);
            byte[] in = new byte[Math.toIntExact(compressed.writerIndex() - CompressionUtil.SIZE_OF_UNCOMPRESSED_LENGTH)];
            compressed.getBytes(CompressionUtil.SIZE_OF_UNCOMPRESSED_LENGTH, in);
            ArrowBuf out = allocator.buffer(declared);
            try (InputStream frame = new FramedLZ4CompressorInputStream(new ByteArrayInputStream(in))) {
                byte[] chunk = new byte[CHUNK];
                long at = 0;
                int n;
                while ((n = frame.read(chunk)) > 0) {
                    if (n > declared - at) {
                        throw new WireFormatException(RejectReason.DECODED_TOO_LARGE, "an LZ4 buffer expands past the "
                                + declared + " uncompressed bytes it declares; decompression stopped there");
                    }
                    out.setBytes(at, chunk, 0, n);
                    at += n;
                }
                if (at != declared) {
                    throw new WireFormatException(RejectReason.UNDECODABLE, "an LZ4 buffer expands to " + at
                            + " bytes, it declares " + declared);
                }
                out.writerIndex(declared);
                return out;
            } catch (IOException | RuntimeException e) {
                out.close();
                if (e instanceof WireFormatException w) {
                    throw w;
                }
                throw new WireFormatException(RejectReason.UNDECODABLE, "an LZ4 buffer does not decompress: " + e, e);
            }
        }

        @Override
        public CompressionUtil.CodecType getCodecType() {
            return CompressionUtil.CodecType.LZ4_FRAME;
        }
    }
}
