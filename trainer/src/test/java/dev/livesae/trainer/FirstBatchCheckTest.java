package dev.livesae.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import dev.livesae.wire.ActivationBatch;
import dev.livesae.wire.ActivationMeta;
import dev.livesae.wire.RejectReason;
import org.junit.jupiter.api.Test;

class FirstBatchCheckTest {
    private static final long GIB = 1L << 30;

    private static TrainerOptions.Builder options() {
        return TrainerOptions.builder("127.0.0.1:9092", "activations.m.h").checkpointDir(Path.of("unused")).k(32);
    }

    @Test
    void acceptsTheWidthsOfRealModelsAtTheDefaultExpansion() {
        TrainerOptions o = options().build();
        assertThat(FirstBatchCheck.refusal(o, 768, 6 * GIB)).isNull();
        assertThat(FirstBatchCheck.refusal(o, 4096, 6 * GIB)).as("4096 x 32768 x 32 B = 4 GiB").isNull();
    }

    @Test
    void refusesAWidthWhoseSaeCannotBeAllocatedNamingTheSizes() {
        FirstBatchCheck.Refusal r = FirstBatchCheck.refusal(options().build(), 65_536, 6 * GIB);
        assertThat(r.reason()).isEqualTo(RejectReason.DIMENSION_TOO_LARGE);
        assertThat(r.detail()).contains("d_in = 65536", "d_sae = 524288", "6144 MiB");
        assertThat(FirstBatchCheck.refusal(options().dSae(1024).build(), 65_536, 6 * GIB)).as("fixed d_sae: 2 GiB").isNull();
    }

    @Test
    void refusesAnAllZeroFirstBatch() {
        ActivationBatch zeros = new ActivationBatch(new ActivationMeta("m", "h", 64), new long[2], new int[2], null, new float[128]);
        assertThat(FirstBatchCheck.refusal(options().build(), zeros, 6 * GIB).reason()).isEqualTo(RejectReason.UNEXPECTED_SHAPE);
        zeros.activations()[77] = 0.5f;
        assertThat(FirstBatchCheck.refusal(options().build(), zeros, 6 * GIB)).isNull();
    }

    @Test
    void refusesAWidthTooSmallForKLatents() {
        FirstBatchCheck.Refusal r = FirstBatchCheck.refusal(options().build(), 2, 6 * GIB);
        assertThat(r.reason()).isEqualTo(RejectReason.UNEXPECTED_SHAPE);
        assertThat(r.detail()).contains("d_in = 2", "--k");
    }
}
