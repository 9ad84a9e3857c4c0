package dev.livesae.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class SnippetsTest {
    @Test
    void joinsWordPiecesAndMarksTheFocusToken() {
        assertThat(Snippets.render(List.of("[CLS]", "the", "vote", "##s", "are", "in", "[SEP]"), 3))
                .isEqualTo("the vote[[s]] are in");
        assertThat(Snippets.render(List.of("closed", ".", "[SEP]"), 2)).isEqualTo("closed . [[[SEP]]]");
    }
}
