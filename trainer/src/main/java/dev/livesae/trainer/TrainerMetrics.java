package dev.livesae.trainer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;

import dev.livesae.engine.eval.CoreMetrics;

/**
 * The trainer's meters (names from the team brief), tagged {@code hookpoint} and {@code sae_id}. The trainer
 * thread records into this object; gauges read its latest values. Counters start from zero in each process
 * (Prometheus handles restarts); totals that must survive restarts live in the checkpoint. The service binds
 * them at start, so a trainer that never trains still exports zeros.
 */
public final class TrainerMetrics implements MeterBinder {
    private final Tags tags;
    private volatile double fvu = Double.NaN;
    private volatile double l0 = Double.NaN;
    private volatile double dead = Double.NaN;
    private volatile double dense = Double.NaN;
    private volatile double auxK = Double.NaN;
    private final AtomicLong lag = new AtomicLong();
    private final AtomicLong dictionaryVersion = new AtomicLong();
    private Counter tokens;
    private Counter resampled;
    private Counter stepsSkipped;
    private Counter checkpoints;
    private Counter catchUpSkipped;
    private Counter codeBatches;
    private Timer stepDuration;
    private final List<Meter> meters = new ArrayList<>();
    private volatile CoreMetrics.Result core;
    private volatile double coreSeconds = Double.NaN;

    /**
     * The core-metric gauges: SAEBench name, Micrometer name, base unit (null = none), description. Docs list
     * each with its formula (docs/trainer.md, core metrics).
     */
    static final String[][] CORE = {
        {"explained_variance", "livesae.trainer.core.explained.variance", "ratio", "1 - mean ||x - xhat||^2 / sum_j Var(x_j), i.e. 1 - FVU"},
        {"mse", "livesae.trainer.core.mse", null, "Mean over rows and dimensions of (x - xhat)^2"},
        {"cossim", "livesae.trainer.core.cossim", null, "Mean over rows of cos(x, xhat)"},
        {"l2_norm_in", "livesae.trainer.core.l2.norm.in", null, "Mean ||x||"},
        {"l2_norm_out", "livesae.trainer.core.l2.norm.out", null, "Mean ||xhat||"},
        {"l2_ratio", "livesae.trainer.core.l2.ratio", null, "Mean over rows of ||xhat|| / ||x||"},
        {"relative_reconstruction_bias", "livesae.trainer.core.relative.reconstruction.bias", null,
            "mean ||xhat||^2 / mean <x, xhat> (1 = unbiased, below 1 = shrinkage)"},
        {"l0", "livesae.trainer.core.l0", "latents", "Mean number of firing latents per held-out row"},
        {"l1", "livesae.trainer.core.l1", null, "Mean sum of the code values per held-out row"},
        {"frac_alive", "livesae.trainer.core.frac.alive", "ratio", "Fraction of latents firing on at least one held-out row"},
        {"freq_over_1_percent", "livesae.trainer.core.freq.over.1.percent", "ratio",
            "Fraction of latents firing on more than 1% of held-out rows"},
        {"freq_over_10_percent", "livesae.trainer.core.freq.over.10.percent", "ratio",
            "Fraction of latents firing on more than 10% of held-out rows"},
        {"average_max_encoder_cosine_sim", "livesae.trainer.core.average.max.encoder.cosine.sim", null,
            "Mean over (sampled) latents of the largest cosine between its encoder row and any other"},
        {"average_max_decoder_cosine_sim", "livesae.trainer.core.average.max.decoder.cosine.sim", null,
            "Mean over (sampled) latents of the largest cosine between its decoder row and any other"},
    };

    public TrainerMetrics(String hookpoint, String saeId) {
        this.tags = Tags.of("hookpoint", hookpoint, "sae_id", saeId);
    }

    @Override
    public void bindTo(MeterRegistry r) {
        tokens = keep(Counter.builder("livesae.trainer.tokens").baseUnit("tokens").tags(tags)
                .description("Tokens that went through a successful training step").register(r));
        keep(Gauge.builder("livesae.trainer.fvu", this, m -> m.fvu).baseUnit("ratio").tags(tags)
                .description("Fraction of variance unexplained of the last training step").register(r));
        keep(Gauge.builder("livesae.trainer.l0", this, m -> m.l0).baseUnit("latents").tags(tags)
                .description("Mean number of non-zero latents per token in the last training step").register(r));
        keep(Gauge.builder("livesae.trainer.dead.latents", this, m -> m.dead).baseUnit("ratio").tags(tags)
                .description("Fraction of latents that have not fired within the dead-token threshold").register(r));
        keep(Gauge.builder("livesae.trainer.dense.latents", this, m -> m.dense).baseUnit("ratio").tags(tags)
                .description("Fraction of latents firing on more than the dense threshold of tokens").register(r));
        keep(Gauge.builder("livesae.trainer.auxk.loss", this, m -> m.auxK).tags(tags)
                .description("AuxK loss of the last training step (normalised like FVU)").register(r));
        resampled = keep(Counter.builder("livesae.trainer.resampled").baseUnit("latents").tags(tags)
                .description("Dead latents re-initialised by resampling").register(r));
        stepsSkipped = keep(Counter.builder("livesae.trainer.steps.skipped").baseUnit("steps").tags(tags)
                .description("Training steps skipped because the loss was not finite (weights untouched)").register(r));
        stepDuration = keep(Timer.builder("livesae.trainer.step.duration").tags(tags)
                .description("Wall time of one engine training step").register(r));
        keep(Gauge.builder("livesae.trainer.consumer.lag", lag, AtomicLong::get).baseUnit("records").tags(tags)
                .description("Records between the trainer's position and the end of each partition, summed").register(r));
        keep(Gauge.builder("livesae.trainer.dictionary.version", dictionaryVersion, AtomicLong::get).tags(tags)
                .description("Version of the promoted dictionary that encodes the codes topic").register(r));
        checkpoints = keep(Counter.builder("livesae.trainer.checkpoints").baseUnit("checkpoints").tags(tags)
                .description("Checkpoints written atomically").register(r));
        catchUpSkipped = keep(Counter.builder("livesae.trainer.catchup.skipped").baseUnit("records").tags(tags)
                .description("Records skipped by --catch-up latest because the lag passed --max-lag").register(r));
        codeBatches = keep(Counter.builder("livesae.trainer.codes").baseUnit("batches").tags(tags)
                .description("CodeBatch records published to the codes topic").register(r));
        for (String[] c : CORE) {
            String name = c[0];
            keep(Gauge.builder(c[1], this, m -> m.coreValue(name)).baseUnit(c[2]).tags(tags)
                    .description("SAEBench core metric " + name + " of the promoted dictionary on held-out rows: " + c[3])
                    .register(r));
        }
        keep(Gauge.builder("livesae.trainer.core.eval.rows", this, m -> m.core == null ? Double.NaN : m.core.rows())
                .baseUnit("rows").tags(tags)
                .description("Held-out rows the last core metrics were computed on").register(r));
        keep(TimeGauge.builder("livesae.trainer.core.eval.duration", this, TimeUnit.SECONDS, m -> m.coreSeconds)
                .tags(tags).description("Wall time of the last core-metrics evaluation at a promotion").register(r));
    }

    private double coreValue(String name) {
        CoreMetrics.Result c = core;
        return c == null ? Double.NaN : c.asMap().get(name);
    }

    /** The core metrics of a newly promoted dictionary and the seconds they took. */
    public void core(CoreMetrics.Result result, double seconds) {
        this.core = result;
        this.coreSeconds = seconds;
    }

    private <M extends Meter> M keep(M meter) {
        meters.add(meter);
        return meter;
    }

    /** Removes every meter this binder registered (when a new trainer's tags become known). */
    public void removeFrom(MeterRegistry r) {
        meters.forEach(r::remove);
        meters.clear();
    }

    /** Records one successful step's statistics. */
    public void step(long rows, double fvu, double l0, double dead, double dense, double auxK, int resampledLatents,
                     long nanos) {
        tokens.increment(rows);
        this.fvu = fvu;
        this.l0 = l0;
        this.dead = dead;
        this.dense = dense;
        this.auxK = auxK;
        resampled.increment(resampledLatents);
        stepDuration.record(nanos, TimeUnit.NANOSECONDS);
    }

    public void stepSkipped(long nanos) {
        stepsSkipped.increment();
        stepDuration.record(nanos, TimeUnit.NANOSECONDS);
    }

    public void lag(long records) { lag.set(records); }
    public void dictionaryVersion(long v) { dictionaryVersion.set(v); }
    public void checkpointWritten() { checkpoints.increment(); }
    public void catchUpSkipped(long records) { catchUpSkipped.increment(records); }
    public void codeBatchPublished() { codeBatches.increment(); }
}
