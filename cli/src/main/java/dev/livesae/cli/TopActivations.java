package dev.livesae.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

import dev.livesae.wire.ActivationBatch;
import dev.livesae.wire.CodeBatch;

/**
 * Top-activating contexts: for every latent, the {@code perLatent} token occurrences where it fired
 * most strongly, plus the token ids of every sequence seen (up to {@code maxTokens}) so a snippet around
 * each occurrence can be shown. Counts firing frequency per latent to rank features.
 * Not thread-safe; feed it from one thread.
 */
public final class TopActivations {
    /** One occurrence of a latent firing. */
    public record Example(float value, long sequenceId, int position) {}

    /** A latent with its firing count over the tokens seen, mean activation when firing and its best examples. */
    public record Feature(int latent, long fires, double meanValue, List<Example> examples) {}

    private final int dSae;
    private final int perLatent;
    private final long maxTokens;
    private final long[] fires;
    private final double[] sums;
    private final Map<Integer, PriorityQueue<Example>> best = new HashMap<>();
    private final Map<Long, int[]> sequences = new HashMap<>();
    private long tokens;
    private long storedTokens;

    public TopActivations(int dSae, int perLatent, long maxTokens) {
        if (dSae < 1) {
            throw new IllegalArgumentException("dSae must be >= 1 (got " + dSae + ")");
        }
        if (perLatent < 1) {
            throw new IllegalArgumentException("perLatent must be >= 1 (got " + perLatent + ")");
        }
        this.dSae = dSae;
        this.perLatent = perLatent;
        this.maxTokens = maxTokens;
        this.fires = new long[dSae];
        this.sums = new double[dSae];
    }

    public void accept(CodeBatch b) {
        accept(b.sequenceIds(), b.positions(), b.tokenIds(), b.latentIndices(), b.latentValues(), b.k());
    }

    /**
     * @param indices [rows, k] latent ids, {@code values} [rows, k] their activations (0 = not firing)
     */
    public void accept(long[] sequenceIds, int[] positions, int[] tokenIds, int[] indices, float[] values, int k) {
        int rows = sequenceIds.length;
        for (int r = 0; r < rows; r++) {
            tokens++;
            boolean stored = remember(sequenceIds[r], positions[r], tokenIds == null ? ActivationBatch.NO_TOKEN : tokenIds[r]);
            for (int s = r * k; s < (r + 1) * k; s++) {
                float v = values[s];
                if (v <= 0) {
                    continue;
                }
                int latent = indices[s];
                if (latent < 0 || latent >= dSae) {
                    throw new IllegalArgumentException("latent index " + latent + " outside [0, " + dSae + ")");
                }
                fires[latent]++;
                sums[latent] += v;
                if (stored) {
                    offer(latent, new Example(v, sequenceIds[r], positions[r]));
                }
            }
        }
    }

    private void offer(int latent, Example e) {
        PriorityQueue<Example> q = best.computeIfAbsent(latent,
                l -> new PriorityQueue<>(perLatent + 1, Comparator.comparingDouble(Example::value)));
        if (q.size() < perLatent) {
            q.add(e);
        } else if (q.peek().value() < e.value()) {
            q.poll();
            q.add(e);
        }
    }

    private boolean remember(long sequenceId, int position, int tokenId) {
        if (position < 0) {
            return false;
        }
        int[] seq = sequences.get(sequenceId);
        if (seq == null) {
            if (storedTokens >= maxTokens) {
                return false;
            }
            seq = new int[Math.max(16, position + 1)];
            Arrays.fill(seq, ActivationBatch.NO_TOKEN);
        } else if (position >= seq.length) {
            int old = seq.length;
            seq = Arrays.copyOf(seq, Math.max(position + 1, old * 2));
            Arrays.fill(seq, old, seq.length, ActivationBatch.NO_TOKEN);
        }
        if (seq[position] == ActivationBatch.NO_TOKEN) {
            storedTokens++;
        }
        seq[position] = tokenId;
        sequences.put(sequenceId, seq);
        return true;
    }

    public long tokens() {
        return tokens;
    }

    /** The {@code n} latents that fired most often, each with its examples, strongest first. */
    public List<Feature> mostFrequent(int n) {
        Integer[] order = new Integer[dSae];
        for (int i = 0; i < dSae; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingLong((Integer i) -> -fires[i]).thenComparingInt(i -> i));
        List<Feature> out = new ArrayList<>();
        for (int i = 0; i < Math.min(n, dSae) && fires[order[i]] > 0; i++) {
            out.add(feature(order[i]));
        }
        return out;
    }

    /**
     * The {@code n} latents whose firing rate lies in [{@code minDensity}, {@code maxDensity}] with the strongest
     * single activation: specific features rather than the ubiquitous ones {@link #mostFrequent} finds.
     */
    public List<Feature> strongestSpecific(int n, double minDensity, double maxDensity) {
        List<Feature> candidates = new ArrayList<>();
        for (int latent = 0; latent < dSae; latent++) {
            double density = tokens == 0 ? 0 : (double) fires[latent] / tokens;
            if (fires[latent] > 0 && density >= minDensity && density <= maxDensity && best.containsKey(latent)) {
                candidates.add(feature(latent));
            }
        }
        candidates.sort(Comparator.comparingDouble((Feature f) -> -f.examples().get(0).value()).thenComparingInt(Feature::latent));
        return candidates.subList(0, Math.min(n, candidates.size()));
    }

    public Feature feature(int latent) {
        PriorityQueue<Example> q = best.get(latent);
        List<Example> examples = q == null ? List.of() : new ArrayList<>(q);
        examples.sort(Comparator.comparingDouble(Example::value).reversed());
        return new Feature(latent, fires[latent], fires[latent] == 0 ? 0 : sums[latent] / fires[latent], examples);
    }

    /** Token ids of {@code sequenceId} from {@code position - before} to {@code position + after}, clipped; unknown = NO_TOKEN. */
    public int[] context(long sequenceId, int position, int before, int after) {
        int[] seq = sequences.get(sequenceId);
        if (seq == null) {
            return new int[0];
        }
        int last = seq.length - 1;
        while (last >= 0 && seq[last] == ActivationBatch.NO_TOKEN) {
            last--;
        }
        int from = Math.max(0, position - before);
        int to = Math.min(last, position + after);
        return from > to ? new int[0] : Arrays.copyOfRange(seq, from, to + 1);
    }
}
