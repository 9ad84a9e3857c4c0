package dev.livesae.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

class VocabularyTest {
    @Test
    void roundTripsTokensIncludingEmptyAndNonAscii() {
        Vocabulary v = new Vocabulary("m", List.of("[PAD]", "", "##ing", "état", "a\nb"));
        Vocabulary back = Vocabulary.decode("m", v.encode());
        assertThat(back.tokens()).containsExactly("[PAD]", "", "##ing", "état", "a\nb");
        assertThat(back.text(3)).isEqualTo("état");
        assertThat(back.text(ActivationBatch.NO_TOKEN)).isNull();
        assertThat(back.text(5)).isNull();
    }

    @Test
    void roundTripsAnEmptyVocabulary() {
        assertThat(Vocabulary.decode("m", new Vocabulary("m", List.of()).encode()).size()).isZero();
    }

    @Test
    void rejectsRecordsThatAreNotVocabularies() {
        assertThatThrownBy(() -> Vocabulary.decode("m", "hello world".getBytes()))
                .isInstanceOfSatisfying(WireFormatException.class, e -> assertThat(e.reason()).isEqualTo(RejectReason.UNDECODABLE));
        byte[] ok = new Vocabulary("m", List.of("abc", "def")).encode();
        assertThatThrownBy(() -> Vocabulary.decode("m", Arrays.copyOf(ok, ok.length - 2)))
                .isInstanceOf(WireFormatException.class);
    }

    @Test
    void rejectsATokenCountTheRecordCannotHold() {
        byte[] ok = new Vocabulary("m", List.of("abc")).encode();
        ok[8] = 0x10; // count 0x10000001: far more tokens than bytes
        assertThatThrownBy(() -> Vocabulary.decode("m", ok))
                .isInstanceOfSatisfying(WireFormatException.class, e -> assertThat(e.reason()).isEqualTo(RejectReason.OVERSIZED));
    }
}
