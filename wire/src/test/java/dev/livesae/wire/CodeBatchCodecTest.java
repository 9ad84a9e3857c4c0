package dev.livesae.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CodeBatchCodecTest {
    private BufferAllocator allocator;
    private CodeBatchCodec codec;

    @BeforeEach
    void openAllocator() {
        allocator = new RootAllocator();
        codec = new CodeBatchCodec(allocator);
    }

    @AfterEach
    void closeAllocator() {
        codec.close();
        allocator.close();
    }

    @Test
    void roundTripsCodesErrorsAndDictionaryVersion() {
        CodeBatch b = Batches.codes(33, 512, 8, 3);
        CodeBatch d = codec.decode(codec.encode(b));
        assertThat(d.meta()).isEqualTo(b.meta());
        assertThat(d.meta().dictionaryVersion()).isEqualTo(3);
        assertThat(d.sequenceIds()).containsExactly(b.sequenceIds());
        assertThat(d.positions()).containsExactly(b.positions());
        assertThat(d.tokenIds()).isNull();
        assertThat(d.latentIndices()).containsExactly(b.latentIndices());
        assertThat(d.latentValues()).containsExactly(b.latentValues());
        assertThat(d.reconError()).containsExactly(b.reconError());
        assertThat(d.centeredSqNorm()).containsExactly(b.centeredSqNorm());
    }

    @Test
    void roundTripsZeroRows() {
        CodeBatch d = codec.decode(codec.encode(Batches.codes(0, 64, 4, 1)));
        assertThat(d.rows()).isZero();
        assertThat(d.k()).isEqualTo(4);
    }

    @Test
    void rejectsLatentIndexOutsideDictionary() {
        CodeBatch b = Batches.codes(5, 64, 4, 1);
        b.latentIndices()[4 * 3 + 2] = 64;
        assertThatThrownBy(() -> codec.decode(codec.encode(b)))
                .isInstanceOfSatisfying(WireFormatException.class, e -> {
                    assertThat(e.reason()).isEqualTo(RejectReason.INDEX_OUT_OF_RANGE);
                    assertThat(e.detail()).contains("row 3").contains("64");
                });
    }

    @Test
    void rejectsNonFiniteReconstructionError() {
        CodeBatch b = Batches.codes(5, 64, 4, 1);
        b.reconError()[4] = Float.POSITIVE_INFINITY;
        assertThatThrownBy(() -> codec.decode(codec.encode(b)))
                .isInstanceOfSatisfying(WireFormatException.class, e -> {
                    assertThat(e.reason()).isEqualTo(RejectReason.NON_FINITE);
                    assertThat(e.detail()).contains("recon_error").contains("row 4");
                });
    }

    @Test
    void rejectsActivationBatchGivenToCodeDecoder() {
        try (ActivationBatchCodec activations = new ActivationBatchCodec(allocator)) {
            byte[] bytes = activations.encode(Batches.activations(2, 4, 1));
            assertThatThrownBy(() -> codec.decode(bytes))
                    .isInstanceOfSatisfying(WireFormatException.class, e -> assertThat(e.reason()).isEqualTo(RejectReason.WRONG_SCHEMA));
        }
    }

    @Test
    void metaRejectsKLargerThanDictionary() {
        assertThatThrownBy(() -> new CodeMeta("s", 0, "m", "h", 4, 8, 9))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("k must be in [1, dSae=8]");
    }
}
