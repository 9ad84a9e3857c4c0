package dev.livesae.trainer.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.livesae.trainer.TokenLedger;

class CheckpointStoreTest {
    @TempDir
    Path root;

    static CheckpointStore.Contents file(String name, String text) {
        return dir -> {
            Files.createDirectories(dir.resolve("engine"));
            Files.writeString(dir.resolve("engine").resolve(name), text);
        };
    }

    static String content(Path ck) throws Exception {
        try (var s = Files.list(ck.resolve("engine"))) {
            Path f = s.findFirst().orElseThrow();
            return Files.readString(f);
        }
    }

    @Test
    void writesAtomicallyAndPointsLatestAtTheNewest() throws Exception {
        CheckpointStore store = new CheckpointStore(root);
        assertThat(store.latest()).isEmpty();
        Path a = store.write(10, file("w", "ten"));
        Path b = store.write(20, file("w", "twenty"));
        assertThat(a.getFileName().toString()).isEqualTo("step-10");
        assertThat(b.getFileName().toString()).isEqualTo("step-20");
        assertThat(Files.readString(root.resolve("LATEST")).trim()).isEqualTo("step-20");
        assertThat(store.latest()).contains(b);
        assertThat(content(store.latest().orElseThrow())).isEqualTo("twenty");
        assertThat(CheckpointStore.isComplete(b)).isTrue();
        try (var s = Files.list(root)) {
            assertThat(s.filter(p -> p.getFileName().toString().startsWith(".tmp")).count()).isZero();
        }
    }

    @Test
    void keepsOnlyTheLastTwo() throws Exception {
        CheckpointStore store = new CheckpointStore(root);
        for (long step : new long[] {1, 2, 3, 4}) {
            store.write(step, file("w", "s" + step));
        }
        assertThat(store.stepDirs()).extracting(p -> p.getFileName().toString()).containsExactly("step-3", "step-4");
    }

    @Test
    void sameStepTwiceGetsASuffixAndTheNewerWins() throws Exception {
        CheckpointStore store = new CheckpointStore(root);
        store.write(5, file("w", "first"));
        Path second = store.write(5, file("w", "second"));
        assertThat(second.getFileName().toString()).isEqualTo("step-5.1");
        assertThat(content(store.latest().orElseThrow())).isEqualTo("second");
        Path third = store.write(5, file("w", "third"));
        assertThat(store.stepDirs()).containsExactly(second, third);
    }

    @Test
    void halfWrittenTempDirIsIgnoredOnLoadAndRemovedByTheNextWrite() throws Exception {
        CheckpointStore store = new CheckpointStore(root);
        Path good = store.write(10, file("w", "good"));
        // a crash during a later write: temp dir with some files and no manifest
        Path tmp = root.resolve(".tmp-step-20-123");
        Files.createDirectories(tmp.resolve("engine"));
        Files.writeString(tmp.resolve("engine").resolve("w"), "half");
        assertThat(store.latest()).contains(good);
        store.write(11, file("w", "next"));
        assertThat(Files.exists(tmp)).isFalse();
    }

    @Test
    void renamedButUnpointedCheckpointWithBrokenFileIsSkipped() throws Exception {
        CheckpointStore store = new CheckpointStore(root);
        Path good = store.write(10, file("w", "good"));
        Path newer = store.write(20, file("w", "newer"));
        // LATEST names a dir whose file was truncated after the fact (e.g. disk trouble): fall back
        Files.writeString(newer.resolve("engine").resolve("w"), "ne");
        assertThat(CheckpointStore.isComplete(newer)).isFalse();
        assertThat(store.latest()).contains(good);
    }

    @Test
    void missingManifestOrLatestFallsBackToNewestCompleteDir() throws Exception {
        CheckpointStore store = new CheckpointStore(root);
        Path a = store.write(10, file("w", "a"));
        Path b = store.write(20, file("w", "b"));
        Files.delete(root.resolve("LATEST"));
        assertThat(store.latest()).contains(b);
        Files.delete(b.resolve(CheckpointStore.MANIFEST));
        assertThat(store.latest()).contains(a);
        Files.writeString(root.resolve("LATEST"), "../../etc\n", StandardCharsets.UTF_8);
        assertThat(store.latest()).contains(a);
    }

    @Test
    void crashBetweenRenameAndLatestSwapResumesFromTheNewerCompleteCheckpoint() throws Exception {
        CheckpointStore store = new CheckpointStore(root);
        Path a = store.write(10, file("w", "a"));
        Path b = store.write(20, file("w", "b"));
        Files.writeString(root.resolve("LATEST"), a.getFileName() + "\n", StandardCharsets.UTF_8); // the old pointer
        assertThat(store.latest()).contains(b);
    }

    @Test
    void stateRoundTripsThroughJson() throws Exception {
        TrainerState s = new TrainerState(TrainerState.FORMAT, "activations.m.h", "m", "h", "sae-1", 64, 12, 4096,
                Map.of(0, 100L, 1, 7L), TokenLedger.EMPTY.plus(1, 2), TokenLedger.EMPTY.plus(3, 4),
                TokenLedger.EMPTY, 1, Map.of("WRONG_WIDTH", 2L), 30,
                List.of(new TrainerState.SkippedRange(0, 10, 40, 2048, 1L)), 3, 3000, 5, 123L);
        Files.createDirectories(root);
        s.write(root);
        TrainerState back = TrainerState.read(root);
        assertThat(back).isEqualTo(s);
        assertThat(back.offsets()).containsEntry(1, 7L);
    }

    @Test
    void emptyRootHasNoCheckpoint() throws Exception {
        assertThat(new CheckpointStore(root.resolve("absent")).latest()).isEqualTo(Optional.empty());
    }
}
