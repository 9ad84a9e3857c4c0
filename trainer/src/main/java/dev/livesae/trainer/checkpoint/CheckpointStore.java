package dev.livesae.trainer.checkpoint;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A directory of atomic checkpoints:
 * <pre>
 * root/
 *   LATEST                 one line: the name of the newest complete checkpoint, e.g. "step-1200"
 *   step-1100/ step-1200/  complete checkpoints (the last {@value #KEEP} are kept)
 *     MANIFEST             written last: "size crc32 relative/path" per file
 *     ...                  whatever the {@link Contents} wrote
 *   .tmp-step-1300-...     an unfinished write: never read, removed on the next write
 * </pre>
 * A write goes into a temp dir, every file and dir is fsynced, the MANIFEST is written and fsynced, the temp
 * dir is renamed to {@code step-<n>} (atomic), the root is fsynced, then {@code LATEST} is replaced by an
 * atomic rename of a fsynced temp file. A crash at any point leaves either the old or the new checkpoint
 * reachable, never a half one: loading ignores temp dirs and any dir whose MANIFEST is missing or does not
 * match its files, and resumes from the newest complete one. Single writer per root.
 */
public final class CheckpointStore {
    public static final String LATEST = "LATEST";
    public static final String MANIFEST = "MANIFEST";
    static final int KEEP = 2;
    private static final String TMP_PREFIX = ".tmp-";
    private static final Pattern STEP = Pattern.compile("step-(\\d+)(?:\\.(\\d+))?");
    private static final Logger log = LoggerFactory.getLogger(CheckpointStore.class);

    /** Fills a fresh directory with the checkpoint's files. */
    @FunctionalInterface
    public interface Contents {
        void writeInto(Path dir) throws IOException;
    }

    private final Path root;

    public CheckpointStore(Path root) {
        this.root = root.toAbsolutePath();
    }

    public Path root() {
        return root;
    }

    /** Writes a checkpoint for training step {@code step} atomically and returns its final directory. */
    public Path write(long step, Contents contents) throws IOException {
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0 (got " + step + ")");
        }
        Files.createDirectories(root);
        deleteTempDirs();
        Path tmp = root.resolve(TMP_PREFIX + "step-" + step + "-" + System.nanoTime());
        Files.createDirectory(tmp);
        contents.writeInto(tmp);
        writeManifest(tmp);
        fsyncTree(tmp);
        Path target = root.resolve(freeName(step));
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        fsync(root);
        Path latestTmp = root.resolve(TMP_PREFIX + LATEST);
        Files.writeString(latestTmp, target.getFileName() + "\n", StandardCharsets.UTF_8);
        fsync(latestTmp);
        try {
            Files.move(latestTmp, root.resolve(LATEST), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("file system of " + root + " cannot rename atomically", e);
        }
        fsync(root);
        prune(target);
        return target;
    }

    /**
     * The checkpoint to resume from: the newest complete {@code step-*} dir (MANIFEST matches its files);
     * empty when there is none. {@code LATEST} names the same dir except after a crash between the rename of
     * a new checkpoint and the swap of {@code LATEST}; that newer checkpoint is complete and is used.
     */
    public Optional<Path> latest() throws IOException {
        String pointed = null;
        Path pointer = root.resolve(LATEST);
        if (Files.isRegularFile(pointer)) {
            pointed = Files.readString(pointer, StandardCharsets.UTF_8).trim();
            if (!STEP.matcher(pointed).matches()) {
                log.warn("ignoring malformed {} ({})", pointer, pointed);
                pointed = null;
            }
        }
        List<Path> dirs = stepDirs();
        for (int i = dirs.size() - 1; i >= 0; i--) {
            Path dir = dirs.get(i);
            if (isComplete(dir)) {
                if (pointed != null && !pointed.equals(dir.getFileName().toString())) {
                    log.warn("{} names {} but the newest complete checkpoint is {}; using it", pointer, pointed,
                            dir.getFileName());
                }
                return Optional.of(dir);
            }
            log.warn("ignoring incomplete checkpoint {}", dir);
        }
        return Optional.empty();
    }

    /** The {@code step-*} dirs, oldest first (complete or not; temp dirs excluded). */
    public List<Path> stepDirs() throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            for (Path p : ds) {
                if (Files.isDirectory(p) && STEP.matcher(p.getFileName().toString()).matches()) {
                    out.add(p);
                }
            }
        }
        out.sort(Comparator.comparingLong((Path p) -> order(p)[0]).thenComparingLong(p -> order(p)[1]));
        return out;
    }

    /** True iff {@code dir} has a MANIFEST and every file it lists has the recorded size and CRC-32. */
    public static boolean isComplete(Path dir) {
        Path manifest = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(manifest)) {
            return false;
        }
        try {
            List<String> lines = Files.readAllLines(manifest, StandardCharsets.UTF_8);
            if (lines.isEmpty() || !lines.get(lines.size() - 1).equals("end")) {
                return false;
            }
            for (String line : lines.subList(0, lines.size() - 1)) {
                String[] parts = line.split(" ", 3);
                if (parts.length != 3) {
                    return false;
                }
                Path f = dir.resolve(parts[2]);
                if (!Files.isRegularFile(f) || Files.size(f) != Long.parseLong(parts[0])
                        || crc(f) != Long.parseLong(parts[1])) {
                    return false;
                }
            }
            return true;
        } catch (IOException | NumberFormatException e) {
            return false;
        }
    }

    /** Step number encoded in a checkpoint dir name. */
    public static long stepOf(Path dir) {
        return order(dir)[0];
    }

    private static long[] order(Path p) {
        Matcher m = STEP.matcher(p.getFileName().toString());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a checkpoint dir name: " + p.getFileName());
        }
        return new long[] {Long.parseLong(m.group(1)), m.group(2) == null ? 0 : Long.parseLong(m.group(2))};
    }

    private String freeName(long step) {
        String name = "step-" + step;
        for (int r = 1; Files.exists(root.resolve(name)); r++) {
            name = "step-" + step + "." + r;
        }
        return name;
    }

    private void prune(Path keepNewest) throws IOException {
        List<Path> dirs = stepDirs();
        dirs.remove(keepNewest);
        for (int i = 0; i < dirs.size() - (KEEP - 1); i++) {
            deleteTree(dirs.get(i));
        }
    }

    private void deleteTempDirs() throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root, TMP_PREFIX + "*")) {
            for (Path p : ds) {
                deleteTree(p);
            }
        }
    }

    private static void writeManifest(Path dir) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        Path manifest = dir.resolve(MANIFEST);
        try (BufferedWriter w = Files.newBufferedWriter(manifest, StandardCharsets.UTF_8)) {
            for (Path f : files) {
                String rel = dir.relativize(f).toString().replace('\\', '/');
                w.write(Files.size(f) + " " + crc(f) + " " + rel + "\n");
            }
            w.write("end\n");
        }
    }

    static long crc(Path f) throws IOException {
        CRC32 crc = new CRC32();
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(f)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                crc.update(buf, 0, n);
            }
        }
        return crc.getValue();
    }

    private static void fsyncTree(Path dir) throws IOException {
        List<Path> all;
        try (Stream<Path> s = Files.walk(dir)) {
            all = s.sorted(Comparator.reverseOrder()).toList(); // children before their dir
        }
        for (Path p : all) {
            fsync(p);
        }
    }

    static void fsync(Path p) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (NoSuchFileException e) {
                    // already gone
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
