package dev.livesae.trainer;

import java.util.Locale;

/**
 * A snapshot of a running trainer, published to {@link TrainerService#onProgress} listeners every
 * {@code --progress-every-seconds} and at exit.
 *
 * @param tokensTrained   tokens through successful steps, including those before the last restart
 * @param tokensConsumed  valid tokens consumed (trained + buffered + in skipped steps)
 * @param tokensPerSecond trained tokens per second over the last progress interval
 * @param fvu             FVU of the last step (NaN before the first)
 * @param l0              mean firing latents per token in the last step
 * @param deadFraction    fraction of dead latents after the last step
 * @param resampledLatents dead latents resampled so far (this checkpoint lineage)
 * @param lag             records behind the end of the topic, summed over partitions (-1 = unknown yet)
 * @param rejectedRecords records sent to the dead-letter topic (this checkpoint lineage)
 * @param skippedRecords  records skipped by {@code --catch-up latest} (this checkpoint lineage)
 * @param trainingSeconds wall time from the first trained record of this process to now (or to the end of
 *                        the final drain)
 * @param checkpointSeconds wall time this process spent writing checkpoints (flushing outputs included)
 * @param running         false once the service has stopped
 */
public record TrainerProgress(long tokensTrained, long tokensConsumed, double tokensPerSecond, long step, double fvu,
                              double l0, double deadFraction, long resampledLatents, long lag, long dictionaryVersion, long checkpoints,
                              long rejectedRecords, long skippedSteps, long skippedRecords, long codeBatches,
                              double trainingSeconds, double checkpointSeconds, boolean running) {

    public static final TrainerProgress NOT_STARTED =
            new TrainerProgress(0, 0, 0, 0, Double.NaN, Double.NaN, Double.NaN, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, false);

    /** One console line, e.g. {@code tokens=1200000 tok/s=48211 fvu=0.084 L0=32.0 dead=0.4% lag=3 ...}. */
    public String line() {
        return String.format(Locale.ROOT,
                "tokens=%d tok/s=%.0f fvu=%.4f L0=%.1f dead=%.2f%% resampled=%d lag=%s step=%d dict=v%d ckpt=%d rejected=%d skipped-steps=%d skipped-records=%d",
                tokensTrained, tokensPerSecond, fvu, l0, 100 * deadFraction, resampledLatents, lag < 0 ? "?" : Long.toString(lag), step,
                dictionaryVersion, checkpoints, rejectedRecords, skippedSteps, skippedRecords);
    }
}
