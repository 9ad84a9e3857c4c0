package dev.livesae.wire;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DeadLettersTest {
    @Test
    void copiesKeyAndValueUnchangedWhenTheyFit() {
        byte[] key = {1, 2};
        byte[] value = new byte[1000];
        DeadLetters.Copy c = DeadLetters.copy("t", 0, 5, key, value, RejectReason.UNDECODABLE, "bad", "trainer");
        assertThat(c.key()).isSameAs(key);
        assertThat(c.value()).isSameAs(value);
        assertThat(DeadLetters.header(c.headers(), DeadLetters.OMITTED)).isNull();
        assertThat(DeadLetters.header(c.headers(), DeadLetters.SOURCE_OFFSET)).isEqualTo("5");
    }

    @Test
    void leavesOutWhatCouldNotBeSentAndSaysSo() {
        byte[] big = new byte[DeadLetters.MAX_COPY_BYTES + 1];
        DeadLetters.Copy c = DeadLetters.copy("t", 1, 7, new byte[] {9}, big, RejectReason.RECORD_TOO_LARGE, "cap", "monitor");
        assertThat(c.value()).isNull();
        assertThat(c.key()).containsExactly(9);
        assertThat(DeadLetters.header(c.headers(), DeadLetters.OMITTED)).isEqualTo("value=" + big.length + " bytes");
        assertThat(DeadLetters.header(c.headers(), DeadLetters.REASON)).isEqualTo("RECORD_TOO_LARGE");

        DeadLetters.Copy k = DeadLetters.copy("t", 1, 8, new byte[DeadLetters.MAX_KEY_BYTES + 1], new byte[10],
                RejectReason.UNDECODABLE, "", "monitor");
        assertThat(k.key()).isNull();
        assertThat(k.value()).hasSize(10);
        assertThat(DeadLetters.header(k.headers(), DeadLetters.OMITTED)).isEqualTo("key=" + (DeadLetters.MAX_KEY_BYTES + 1) + " bytes");
    }
}
