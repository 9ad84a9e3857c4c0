package dev.livesae.sources;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class EuroparlCorpusTest {

    @Test
    void englishFilterKeepsEnglishSentencesOfBoundedLength() {
        List<String> english;
        try (TextLines lines = EuroparlCorpus.lines()) {
            english = lines.next(300);
        }
        assertThat(english).hasSize(300);
        assertThat(english).allSatisfy(s -> {
            assertThat(s.length()).isBetween(EuroparlCorpus.MIN_CHARS, EuroparlCorpus.MAX_CHARS);
            assertThat(EuroparlCorpus.isEnglish(s)).isTrue();
        });
        assertThat(english.stream().filter(s -> s.contains(" the ")).count()).isGreaterThan(200);
    }

    @Test
    void allFilterAlsoKeepsOtherLanguages() {
        List<String> all;
        try (TextLines lines = EuroparlCorpus.lines(EuroparlCorpus.Filter.ALL)) {
            all = lines.next(300);
        }
        assertThat(all).hasSize(300);
        assertThat(all.stream().filter(s -> !EuroparlCorpus.isEnglish(s)).count()).isGreaterThan(100);
    }

    @Test
    void languageHeuristic() {
        assertThat(EuroparlCorpus.isEnglish("The Commission has adopted the proposal for a directive on this matter.")).isTrue();
        assertThat(EuroparlCorpus.isEnglish("Der Rat hat die Richtlinie in erster Lesung angenommen.")).isFalse();
        assertThat(EuroparlCorpus.isEnglish("La Commission a adopté la proposition de directive.")).isFalse();
        assertThat(EuroparlCorpus.texts("Title\t2001-01-01\tThis is the first sentence of it.   And this is the second one, with more.", EuroparlCorpus.Filter.ALL))
                .containsExactly("This is the first sentence of it.", "And this is the second one, with more.");
    }
}
