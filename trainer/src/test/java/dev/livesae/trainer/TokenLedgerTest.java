package dev.livesae.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TokenLedgerTest {
    @Test
    void isIndependentOfOrder() {
        TokenLedger a = TokenLedger.EMPTY.plus(1, 0).plus(1, 1).plus(2, 0);
        TokenLedger b = TokenLedger.EMPTY.plus(2, 0).plus(1, 1).plus(1, 0);
        assertThat(a).isEqualTo(b);
    }

    @Test
    void detectsATokenTrainedTwiceInPlaceOfAMissingOne() {
        TokenLedger exact = TokenLedger.EMPTY.plus(1, 0).plus(1, 1).plus(1, 2);
        TokenLedger dupAndMissing = TokenLedger.EMPTY.plus(1, 0).plus(1, 1).plus(1, 1);
        assertThat(dupAndMissing.count()).isEqualTo(exact.count());
        assertThat(dupAndMissing).isNotEqualTo(exact);
    }

    @Test
    void swappedSequenceAndPositionAreDifferentTokens() {
        assertThat(TokenLedger.EMPTY.plus(3, 5)).isNotEqualTo(TokenLedger.EMPTY.plus(5, 3));
    }

    @Test
    void builderAndPlusAgreeAndLedgersAdd() {
        TokenLedger.Builder b = new TokenLedger.Builder();
        TokenLedger p = TokenLedger.EMPTY;
        for (int i = 0; i < 100; i++) {
            b.add(i / 7, i % 7);
            p = p.plus(i / 7, i % 7);
        }
        assertThat(b.build()).isEqualTo(p);
        assertThat(TokenLedger.EMPTY.plus(1, 1).plus(TokenLedger.EMPTY.plus(2, 2)))
                .isEqualTo(TokenLedger.EMPTY.plus(2, 2).plus(1, 1));
    }
}
