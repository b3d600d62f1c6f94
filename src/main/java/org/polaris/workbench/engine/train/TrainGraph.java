package org.polaris.workbench.engine.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The differentiable steps of a model in topological order over numbered value slots (slot 0 is the input). Forward
 * fills the slots; backward walks the steps in reverse and sums the gradients of a value read by several steps
 * (a residual connection, a concatenation's branches).
 */
final class TrainGraph {

    /** One step: a one-input layer or a join of several, the slots it reads, the slot it writes. */
    record Step(Layer layer, Ops.Join join, int[] in, int out) {
        String node() {
            return layer != null ? layer.node() : join.node();
        }
    }

    private final List<Step> steps;
    private final int slots;
    private final int output;
    private final int[] readers;

    TrainGraph(List<Step> steps, int slots, int output) {
        this.steps = List.copyOf(steps);
        this.slots = slots;
        this.output = output;
        this.readers = new int[slots];
        for (Step s : steps) {
            for (int i : s.in()) readers[i]++;
        }
        for (Step s : steps) {
            if (s.layer() != null && s.in()[0] == 0 && readers[0] == 1) s.layer().inputGradientNotNeeded();
        }
    }

    List<Step> steps() {
        return steps;
    }

    int slots() {
        return slots;
    }

    int output() {
        return output;
    }

    List<Layer> layers() {
        List<Layer> out = new ArrayList<>();
        for (Step s : steps) if (s.layer() != null) out.add(s.layer());
        return out;
    }

    float[] forward(float[] x, int batch, boolean training) {
        float[][] v = new float[slots][];
        v[0] = x;
        for (Step s : steps) {
            if (s.layer() != null) {
                v[s.out()] = s.layer().forward(v[s.in()[0]], batch, training);
            } else {
                float[][] xs = new float[s.in().length][];
                for (int k = 0; k < xs.length; k++) xs[k] = v[s.in()[k]];
                v[s.out()] = s.join().forward(xs, batch, training);
            }
        }
        return v[output];
    }

    /** Backward from the gradient of the output (after {@link #forward} with training on). */
    void backward(float[] dy, int batch) {
        float[][] g = new float[slots][];
        boolean[] own = new boolean[slots];
        g[output] = dy;
        for (int i = steps.size() - 1; i >= 0; i--) {
            Step s = steps.get(i);
            float[] d = g[s.out()];
            if (d == null) continue; // does not reach the output
            float[][] dx = s.layer() != null ? new float[][] {s.layer().backward(d, batch)} : s.join().backward(d, batch);
            for (int k = 0; k < s.in().length; k++) {
                int slot = s.in()[k];
                if (slot == 0 && readers[0] == 1) continue; // nobody needs the input's gradient
                if (g[slot] == null) {
                    // a value read by several steps collects into its own array; layers may reuse theirs
                    g[slot] = readers[slot] > 1 ? dx[k].clone() : dx[k];
                    own[slot] = readers[slot] > 1;
                } else {
                    if (!own[slot]) {
                        g[slot] = g[slot].clone();
                        own[slot] = true;
                    }
                    float[] acc = g[slot];
                    float[] add = dx[k];
                    for (int e = 0; e < acc.length; e++) acc[e] += add[e];
                }
            }
        }
    }

    /**
     * A copy with {@code layer} on the value in {@code slot}: every step after the one that writes it (or every step,
     * for the input) reads the layer's output instead.
     */
    TrainGraph insertAfter(int slot, Layer layer) {
        int fresh = slots;
        List<Step> out = new ArrayList<>();
        boolean placed = false;
        if (slot == 0) {
            out.add(new Step(layer, null, new int[] {0}, fresh));
            placed = true;
        }
        for (Step s : steps) {
            int[] in = s.in();
            if (placed) {
                in = Arrays.stream(in).map(i -> i == slot ? fresh : i).toArray();
            }
            out.add(new Step(s.layer(), s.join(), in, s.out()));
            if (s.out() == slot) {
                out.add(new Step(layer, null, new int[] {slot}, fresh));
                placed = true;
            }
        }
        if (!placed) throw new IllegalArgumentException("no step writes slot " + slot);
        return new TrainGraph(out, slots + 1, output == slot ? fresh : output);
    }
}
