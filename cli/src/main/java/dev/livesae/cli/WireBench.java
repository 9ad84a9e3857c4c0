package dev.livesae.cli;

import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;

import dev.livesae.wire.ActivationBatch;
import dev.livesae.wire.ActivationBatchCodec;
import dev.livesae.wire.ActivationMeta;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sae bench wire}: Arrow IPC encode and decode throughput of activation batches
 * (default 1024 rows x 768 floats, ~3 MiB a batch). Measures wall time over repeated round trips
 * after a warm-up, on one thread; prints MB/s (10^6 bytes of encoded record per second) and, last,
 * one JSON line.
 */
@Command(name = "wire", mixinStandardHelpOptions = true,
        description = "Benchmark Arrow IPC encode/decode throughput of activation batches (MB/s).")
public final class WireBench implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--rows", defaultValue = "1024", description = "Rows per batch (default: ${DEFAULT-VALUE}).")
    int rows;

    @Option(names = "--d", defaultValue = "768", description = "Activation width d (default: ${DEFAULT-VALUE}).")
    int d;

    @Option(names = "--iterations", defaultValue = "200", description = "Measured round trips (default: ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--warmup", defaultValue = "50", description = "Warm-up round trips, not measured (default: ${DEFAULT-VALUE}).")
    int warmup;

    public record Result(int rows, int d, long recordBytes, double encodeMBps, double decodeMBps, double encodeMsPerBatch,
                         double decodeMsPerBatch) {
        String json() {
            return String.format(Locale.ROOT, "{\"bench\":\"wire\",\"rows\":%d,\"d\":%d,\"record_bytes\":%d,"
                            + "\"encode_mb_per_s\":%.1f,\"decode_mb_per_s\":%.1f,\"encode_ms\":%.3f,\"decode_ms\":%.3f}",
                    rows, d, recordBytes, encodeMBps, decodeMBps, encodeMsPerBatch, decodeMsPerBatch);
        }
    }

    @Override
    public Integer call() {
        if (rows < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--rows must be >= 1 (got " + rows + ")");
        }
        if (d < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--d must be >= 1 (got " + d + ")");
        }
        if (iterations < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--iterations must be >= 1 (got " + iterations + ")");
        }
        if (warmup < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--warmup must be >= 0 (got " + warmup + ")");
        }
        Result r = run(rows, d, iterations, warmup);
        System.out.printf(Locale.ROOT, "wire bench: %d x %d float32 batch, %d bytes per record%n", r.rows(), r.d(), r.recordBytes());
        System.out.printf(Locale.ROOT, "  encode %8.1f MB/s  (%.3f ms/batch)%n", r.encodeMBps(), r.encodeMsPerBatch());
        System.out.printf(Locale.ROOT, "  decode %8.1f MB/s  (%.3f ms/batch, validated: widths, nulls, finiteness)%n",
                r.decodeMBps(), r.decodeMsPerBatch());
        System.out.println(r.json());
        return 0;
    }

    public static Result run(int rows, int d, int iterations, int warmup) {
        Random random = new Random(42);
        long[] seq = new long[rows];
        int[] pos = new int[rows];
        int[] tok = new int[rows];
        float[] act = new float[rows * d];
        for (int i = 0; i < rows; i++) {
            seq[i] = i / 128;
            pos[i] = i % 128;
            tok[i] = 1000 + i;
        }
        for (int i = 0; i < act.length; i++) {
            act[i] = (float) random.nextGaussian();
        }
        ActivationBatch batch = new ActivationBatch(new ActivationMeta("bench", "blocks.0.hook_resid_post", d), seq, pos, tok, act);
        try (BufferAllocator root = new RootAllocator(); ActivationBatchCodec codec = new ActivationBatchCodec(root)) {
            byte[] bytes = codec.encode(batch);
            long sink = 0;
            for (int i = 0; i < warmup; i++) {
                sink += codec.decode(codec.encode(batch)).rows();
            }
            long[] enc = new long[iterations];
            long[] dec = new long[iterations];
            for (int i = 0; i < iterations; i++) {
                long t0 = System.nanoTime();
                bytes = codec.encode(batch);
                long t1 = System.nanoTime();
                sink += codec.decode(bytes).activations().length;
                long t2 = System.nanoTime();
                enc[i] = t1 - t0;
                dec[i] = t2 - t1;
            }
            if (sink == 42) {
                System.out.print("");
            }
            double encMs = median(enc) / 1e6;
            double decMs = median(dec) / 1e6;
            return new Result(rows, d, bytes.length, bytes.length / 1e6 / (encMs / 1e3), bytes.length / 1e6 / (decMs / 1e3),
                    encMs, decMs);
        }
    }

    private static double median(long[] values) {
        long[] v = values.clone();
        Arrays.sort(v);
        return v[v.length / 2];
    }
}
