package dev.livesae.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TopicsTest {
    @Test
    void namesTopicsPerModelAndHookpoint() {
        assertThat(Topics.activations("all-MiniLM-L6-v2", "blocks.3.hook_resid_post"))
                .isEqualTo("activations.all-MiniLM-L6-v2.blocks.3.hook_resid_post");
        assertThat(Topics.codes("gpt2", "blocks.0.hook_resid_pre")).isEqualTo("codes.gpt2.blocks.0.hook_resid_pre");
        assertThat(Topics.windows("m", "h")).isEqualTo("telemetry.windows.m.h");
        assertThat(Topics.drift("m", "h")).isEqualTo("telemetry.drift.m.h");
        assertThat(Topics.deadLetter("activations.m.h")).isEqualTo("dlq.activations.m.h");
        assertThat(Topics.vocab("org/all-MiniLM-L6-v2")).isEqualTo("vocab.org_all-MiniLM-L6-v2");
    }

    @Test
    void replacesCharactersKafkaRejects() {
        assertThat(Topics.activations("org/model:v1", "blocks[3] out")).isEqualTo("activations.org_model_v1.blocks_3__out");
    }

    @Test
    void rejectsBlankParts() {
        assertThatThrownBy(() -> Topics.codes("", "h")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("model");
        assertThatThrownBy(() -> Topics.codes("m", null)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("hookpoint");
    }
}
