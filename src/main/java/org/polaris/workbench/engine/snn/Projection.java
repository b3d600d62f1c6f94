package org.polaris.workbench.engine.snn;

import java.util.Random;

/**
 * Synapses from one population to another in CSR form (for each presynaptic neuron its targets and weights), with
 * one delay of whole steps. Propagation is event-driven: each spike walks only its own row, so the work follows the
 * spikes, not the synapse count. A ring of {@code delay + 1} input buffers holds events until they are due.
 */
public final class Projection {

    private final Population pre;
    private final Population post;
    final int[] ptr;
    final int[] idx;
    final float[] w;
    private final int delay;
    private final float[][] ring;
    private long synops;

    /** From explicit CSR arrays ({@code ptr} has pre.size() + 1 offsets). */
    public Projection(Population pre, Population post, int[] ptr, int[] idx, float[] w, int delay) {
        if (ptr.length != pre.size() + 1 || idx.length != w.length || ptr[pre.size()] != idx.length) {
            throw new IllegalArgumentException("CSR arrays do not fit " + pre.size() + " presynaptic neurons");
        }
        if (delay < 0 || delay > 1000) {
            throw new IllegalArgumentException("delay must be 0..1000 steps, got " + delay);
        }
        for (int j : idx) {
            if (j < 0 || j >= post.size()) throw new IllegalArgumentException("target " + j + " outside " + post.name());
        }
        this.pre = pre;
        this.post = post;
        this.ptr = ptr;
        this.idx = idx;
        this.w = w;
        this.delay = delay;
        this.ring = delay == 0 ? null : new float[delay + 1][post.size()];
    }

    /** Dense all-to-all weights {@code [pre][post]} (zeros are kept as synapses). */
    public static Projection dense(Population pre, Population post, float[][] weights, int delay) {
        int n = pre.size(), m = post.size();
        int[] ptr = new int[n + 1];
        int[] idx = new int[n * m];
        float[] w = new float[n * m];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                idx[i * m + j] = j;
                w[i * m + j] = weights[i][j];
            }
            ptr[i + 1] = (i + 1) * m;
        }
        return new Projection(pre, post, ptr, idx, w, delay);
    }

    /** Each presynaptic neuron connects to {@code fanout} distinct random targets with weights drawn by {@code weight}. */
    public static Projection random(Population pre, Population post, int fanout, java.util.function.DoubleSupplier weight,
                                    int delay, long seed) {
        if (fanout < 0 || fanout > post.size()) throw new IllegalArgumentException("fan-out must be 0.." + post.size());
        Random r = new Random(seed);
        int n = pre.size();
        int[] ptr = new int[n + 1];
        int[] idx = new int[Math.multiplyExact(n, fanout)];
        float[] w = new float[idx.length];
        int m = post.size();
        int[] pick = new int[fanout];
        for (int i = 0; i < n; i++) {
            // Floyd's sampling: fanout distinct targets without a set
            int got = 0;
            for (int j = m - fanout; j < m; j++) {
                int t = r.nextInt(j + 1);
                boolean seen = false;
                for (int q = 0; q < got; q++) if (pick[q] == t) { seen = true; break; }
                pick[got++] = seen ? j : t;
            }
            for (int q = 0; q < fanout; q++) {
                idx[i * fanout + q] = pick[q];
                w[i * fanout + q] = (float) weight.getAsDouble();
            }
            ptr[i + 1] = (i + 1) * fanout;
        }
        return new Projection(pre, post, ptr, idx, w, delay);
    }

    public Population pre() {
        return pre;
    }

    public Population post() {
        return post;
    }

    public int delay() {
        return delay;
    }

    public long synapses() {
        return idx.length;
    }

    /** Synaptic events delivered so far (one per spike per outgoing synapse). */
    public long synops() {
        return synops;
    }

    /** Weight of synapse {@code k} (CSR order); writable for learning rules. */
    public float weight(int k) {
        return w[k];
    }

    private float[][] partial;

    /**
     * As {@link #propagate(int)}, the spikes split over {@code pool} when there are enough events: each thread adds
     * into its own buffer, then the buffers are summed into the target in a fixed order (results do not depend on
     * scheduling; sums may differ from one thread's in the last bit because the order of additions differs).
     */
    void propagate(int step, org.polaris.workbench.engine.job.EnginePool pool) {
        int n = pre.spikeCount();
        long events = n == 0 ? 0 : (long) n * Math.max(1, idx.length / Math.max(1, pre.size()));
        int threads = pool == null ? 1 : pool.threads();
        if (threads < 2 || events < 20_000) {
            propagate(step);
            return;
        }
        int m = post.size();
        if (partial == null || partial.length != threads) partial = new float[threads][m];
        int[] s = pre.spikes();
        int per = (n + threads - 1) / threads;
        long[] counted = new long[threads];
        pool.parallelFor(threads, 1, t -> {
            float[] buf = partial[t];
            long c = 0;
            for (int q = t * per; q < Math.min(n, (t + 1) * per); q++) {
                int i = s[q];
                for (int p = ptr[i]; p < ptr[i + 1]; p++) buf[idx[p]] += w[p];
                c += ptr[i + 1] - ptr[i];
            }
            counted[t] = c;
        });
        float[] target = ring == null ? post.input : ring[(step + delay) % ring.length];
        for (int t = 0; t < threads; t++) {
            float[] buf = partial[t];
            for (int j = 0; j < m; j++) {
                target[j] += buf[j];
                buf[j] = 0f;
            }
            synops += counted[t];
        }
    }

    /** Schedules the presynaptic spikes of this step; with delay 0 they reach the target in its next update. */
    void propagate(int step) {
        int[] s = pre.spikes();
        int n = pre.spikeCount();
        float[] target = ring == null ? post.input : ring[(step + delay) % ring.length];
        for (int q = 0; q < n; q++) {
            int i = s[q];
            for (int p = ptr[i]; p < ptr[i + 1]; p++) {
                target[idx[p]] += w[p];
            }
            synops += ptr[i + 1] - ptr[i];
        }
    }

    /** Moves the events due at {@code step} into the target's input. */
    void deliver(int step) {
        if (ring == null) return;
        float[] due = ring[step % ring.length];
        float[] in = post.input;
        for (int j = 0; j < due.length; j++) {
            in[j] += due[j];
            due[j] = 0f;
        }
    }

    void reset() {
        synops = 0;
        if (ring != null) for (float[] r : ring) java.util.Arrays.fill(r, 0f);
    }
}
