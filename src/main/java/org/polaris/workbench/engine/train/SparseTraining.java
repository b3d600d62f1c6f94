package org.polaris.workbench.engine.train;

import org.polaris.workbench.engine.sparsity.Allocation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The sparse-training methods, as hooks the {@link Trainer} calls around each step:
 * <ul>
 * <li>{@code static}: the weights already zero stay zero (a pruned or channel-pruned model fine-tuned);</li>
 * <li>{@code gmp}: gradual magnitude pruning (Zhu &amp; Gupta 2017) from the current sparsity to the target on the
 * cubic schedule over the first {@code endFraction} of the steps, pruning every {@code updateEvery} steps, then
 * fine-tuning with the mask fixed;</li>
 * <li>{@code rigl}: the target sparsity from step 0 by magnitude; every {@code updateEvery} steps until
 * {@code endFraction} of the run, drop the fraction {@code dropFraction * (1 + cos(pi t / T_end)) / 2} of each
 * layer's active weights with the smallest magnitude and regrow as many inactive ones where the dense gradient is
 * largest, starting at zero with fresh optimizer state (Evci et al. 2020); the count of active weights never
 * changes.</li>
 * </ul>
 * Layers are the parameters of rank 2 or more (weights, not biases); per-layer targets are uniform or ERK.
 */
public final class SparseTraining {

    public enum Method {
        STATIC, GMP, RIGL;

        public static Method parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown training method '" + s + "': use static, gmp or rigl");
            }
        }
    }

    /** How to sparsify while training. */
    public record Options(Method method, double sparsity, Allocation.Strategy allocation, int updateEvery,
                          double dropFraction, double endFraction) {
        public Options {
            if (!(sparsity >= 0 && sparsity < 1)) throw new IllegalArgumentException("sparsity must be in [0, 1)");
            if (updateEvery < 1) throw new IllegalArgumentException("update interval must be at least 1 step");
            if (!(dropFraction >= 0 && dropFraction <= 1)) throw new IllegalArgumentException("drop fraction must be in [0, 1]");
        }
    }

    /**
     * One mask update of one layer: weights dropped and regrown (RigL) or pruned (GMP), in all and per group of
     * output units (the layer's output channels in at most {@link #GROUPS} equal groups: the Train pane's churn map).
     */
    public record MaskUpdate(long step, String layer, int dropped, int regrown, double sparsity, int[] droppedByGroup,
                             int[] regrownByGroup) {
    }

    /** Most groups of output units a mask update is broken down into. */
    public static final int GROUPS = 64;

    /** Output unit of each weight of {@code p}, grouped into at most {@link #GROUPS} groups. */
    static int groupOf(Param p, int index) {
        int units = p.shape[p.outAxis];
        int inner = 1;
        for (int d = p.outAxis + 1; d < p.shape.length; d++) inner *= p.shape[d];
        int unit = (index / inner) % units;
        int groups = Math.min(GROUPS, units);
        return (int) ((long) unit * groups / units);
    }

    static int groups(Param p) {
        return Math.min(GROUPS, p.shape[p.outAxis]);
    }

    /** Counts, per group, the weights kept in {@code before} and not in {@code after}. */
    private static int[] removedByGroup(Param p, boolean[] before, boolean[] after) {
        int[] g = new int[groups(p)];
        for (int i = 0; i < after.length; i++) {
            if ((before == null || before[i]) && !after[i]) g[groupOf(p, i)]++;
        }
        return g;
    }

    private final Options options;
    private final List<Param> layers = new ArrayList<>();
    private final double[] targets;
    private final double[] initial;
    private final List<MaskUpdate> updates = new ArrayList<>();

    public SparseTraining(TrainableModel model, Options options) {
        this.options = options;
        for (Param p : model.params()) {
            if (p.shape.length >= 2 && p.trainable) layers.add(p);
        }
        List<long[]> shapes = layers.stream().map(p -> Arrays.stream(p.shape).asLongStream().toArray()).toList();
        targets = options.allocation() == Allocation.Strategy.ERK ? Allocation.erk(shapes, options.sparsity())
                : Allocation.uniform(layers.size(), options.sparsity());
        initial = new double[layers.size()];
        for (int i = 0; i < layers.size(); i++) {
            Param p = layers.get(i);
            initial[i] = p.sparsity();
            switch (options.method()) {
                case STATIC -> {
                    boolean[] keep = new boolean[p.size()];
                    for (int k = 0; k < keep.length; k++) keep[k] = p.value[k] != 0;
                    p.setMask(keep);
                }
                case GMP -> p.setMask(null);
                case RIGL -> p.setMask(byMagnitude(p.value, null, count(p.size(), targets[i])));
            }
        }
    }

    private static int count(int size, double sparsity) {
        return (int) Math.round(size * sparsity);
    }

    /** A mask keeping all but the {@code zeros} smallest magnitudes (among {@code eligible}, all when null). */
    static boolean[] byMagnitude(float[] v, boolean[] eligible, int zeros) {
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < v.length; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> {
            int c = Float.compare(Math.abs(v[a]), Math.abs(v[b]));
            return c != 0 ? c : Integer.compare(a, b);
        });
        boolean[] keep = new boolean[v.length];
        Arrays.fill(keep, true);
        int removed = 0;
        for (int i = 0; i < v.length && removed < zeros; i++) {
            int k = idx[i];
            if (eligible == null || eligible[k]) {
                keep[k] = false;
                removed++;
            }
        }
        if (eligible != null) {
            for (int i = 0; i < v.length; i++) if (!eligible[i]) keep[i] = false;
        }
        return keep;
    }

    /** Layers trained sparse, with their targets. */
    public List<String> layers() {
        return layers.stream().map(Param::name).toList();
    }

    public double target(String layer) {
        for (int i = 0; i < layers.size(); i++) if (layers.get(i).name.equals(layer)) return targets[i];
        throw new IllegalArgumentException(layer);
    }

    /** Every mask update so far (the Train pane's churn heat map). */
    public List<MaskUpdate> updates() {
        return List.copyOf(updates);
    }

    int updateCount() {
        return updates.size();
    }

    List<MaskUpdate> updatesSince(int index) {
        return List.copyOf(updates.subList(index, updates.size()));
    }

    /** Each layer's sparsity when training started (GMP's schedule starts there). */
    double[] initialSparsity() {
        return initial.clone();
    }

    /** Takes a checkpoint's schedule start and update history (the masks come back with the weights). */
    void restore(double[] initialSparsity, List<MaskUpdate> history) {
        if (initialSparsity.length != initial.length) {
            throw new IllegalArgumentException("the checkpoint has " + initialSparsity.length + " sparse layers, the model "
                    + initial.length);
        }
        System.arraycopy(initialSparsity, 0, initial, 0, initial.length);
        updates.clear();
        updates.addAll(history);
    }

    private boolean updating(long step, long total) {
        return step > 0 && step % options.updateEvery() == 0 && step < options.endFraction() * total;
    }

    /** After backward, before the gradients are masked: RigL reads the dense gradient here. */
    void onDenseGradients(long step, long total) {
        if (options.method() != Method.RIGL || !updating(step, total)) return;
        double tEnd = options.endFraction() * total;
        double fraction = options.dropFraction() * 0.5 * (1 + Math.cos(Math.PI * step / tEnd));
        for (int li = 0; li < layers.size(); li++) {
            Param p = layers.get(li);
            boolean[] mask = p.mask;
            int active = 0;
            for (boolean b : mask) if (b) active++;
            int k = (int) Math.round(fraction * active);
            int inactive = p.size() - active;
            k = Math.min(k, inactive);
            if (k == 0) continue;
            // drop: the k smallest magnitudes among the active
            Integer[] act = new Integer[active];
            Integer[] ina = new Integer[inactive];
            int a = 0;
            int n = 0;
            for (int i = 0; i < mask.length; i++) {
                if (mask[i]) act[a++] = i;
                else ina[n++] = i;
            }
            float[] v = p.value;
            float[] g = p.grad;
            Arrays.sort(act, (x, y) -> {
                int c = Float.compare(Math.abs(v[x]), Math.abs(v[y]));
                return c != 0 ? c : Integer.compare(x, y);
            });
            // grow: the k largest dense gradients among the inactive (before this update's drops)
            Arrays.sort(ina, (x, y) -> {
                int c = Float.compare(Math.abs(g[y]), Math.abs(g[x]));
                return c != 0 ? c : Integer.compare(x, y);
            });
            boolean[] next = mask.clone();
            int[] droppedBy = new int[groups(p)];
            int[] regrownBy = new int[groups(p)];
            for (int i = 0; i < k; i++) {
                next[act[i]] = false;
                droppedBy[groupOf(p, act[i])]++;
            }
            for (int i = 0; i < k; i++) {
                int w = ina[i];
                next[w] = true;
                v[w] = 0;
                Optimizer.resetState(p, w);
                regrownBy[groupOf(p, w)]++;
            }
            p.setMask(next);
            updates.add(new MaskUpdate(step, p.name, k, k, sparsityOf(next), droppedBy, regrownBy));
        }
    }

    /** After the optimizer step: GMP prunes toward the scheduled sparsity. */
    void afterStep(long step, long total) {
        if (options.method() != Method.GMP || !updating(step, total) && step != (long) Math.ceil(options.endFraction() * total)) {
            return;
        }
        double progress = Math.min(1, step / (options.endFraction() * total));
        for (int li = 0; li < layers.size(); li++) {
            Param p = layers.get(li);
            double s = targets[li] + (initial[li] - targets[li]) * Math.pow(1 - progress, 3);
            int zeros = count(p.size(), s);
            boolean[] eligible = p.mask == null ? null : p.mask;
            int already = p.mask == null ? 0 : (int) (p.size() - java.util.stream.IntStream.range(0, p.size()).filter(i -> p.mask[i]).count());
            if (zeros <= already) continue;
            boolean[] keep = byMagnitude(p.value, eligible, zeros - already);
            int[] prunedBy = removedByGroup(p, p.mask, keep);
            p.setMask(keep);
            updates.add(new MaskUpdate(step, p.name, zeros - already, 0, sparsityOf(keep), prunedBy, new int[prunedBy.length]));
        }
    }

    private static double sparsityOf(boolean[] mask) {
        int z = 0;
        for (boolean b : mask) if (!b) z++;
        return (double) z / mask.length;
    }
}
