package dev.livesae.trainer.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.livesae.trainer.TokenLedger;

/**
 * The bookkeeping half of a checkpoint ({@code state.json}); the weights and optimizer state are the engine's
 * files beside it, the buffered rows are {@code buffer.bin}.
 *
 * @param offsets      next offset to read per partition: every record before it was fully consumed (its rows
 *                     are trained, buffered in {@code buffer.bin}, or were rejected / skipped as recorded here)
 * @param consumed     ledger of every accepted token (trained + buffered + in skipped steps)
 * @param trained      ledger of tokens that went through a successful training step
 * @param skippedStep  ledger of tokens in steps skipped for a non-finite loss
 * @param rejected     dead-lettered records per reason
 * @param skippedRanges catch-up skips (most recent {@value #MAX_RANGES} kept; totals in {@code skippedRecords})
 */
public record TrainerState(
        int format,
        String topic,
        String model,
        String hookpoint,
        String saeId,
        int dIn,
        long step,
        long tokensConsumed,
        Map<Integer, Long> offsets,
        TokenLedger consumed,
        TokenLedger trained,
        TokenLedger skippedStep,
        long skippedSteps,
        Map<String, Long> rejected,
        long skippedRecords,
        List<SkippedRange> skippedRanges,
        long dictionaryVersion,
        long dictionaryTokens,
        long checkpointsWritten,
        long writtenAtMillis) {

    public static final int FORMAT = 1;
    public static final int MAX_RANGES = 256;
    public static final String FILE = "state.json";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Records skipped by the catch-up policy: {@code [fromOffset, toOffset)} of one partition. */
    public record SkippedRange(int partition, long fromOffset, long toOffset, long atTokens, long atMillis) {
        public SkippedRange {
            if (toOffset < fromOffset) {
                throw new IllegalArgumentException("toOffset " + toOffset + " < fromOffset " + fromOffset);
            }
        }
    }

    public TrainerState {
        if (format != FORMAT) {
            throw new IllegalArgumentException("unsupported state.format " + format);
        }
        if (dIn <= 0) {
            throw new IllegalArgumentException("dIn must be > 0 (got " + dIn + ")");
        }
        offsets = Collections.unmodifiableMap(new TreeMap<>(offsets));
        rejected = Collections.unmodifiableMap(new TreeMap<>(rejected));
        skippedRanges = List.copyOf(skippedRanges);
    }

    public void write(Path dir) throws IOException {
        JSON.writeValue(dir.resolve(FILE).toFile(), this);
    }

    public static TrainerState read(Path dir) throws IOException {
        return JSON.readValue(Files.readAllBytes(dir.resolve(FILE)), TrainerState.class);
    }
}
