package org.polaris.workbench.engine.snn;

import java.io.IOException;
import java.io.Writer;

/** The newest spikes as (step, population, neuron) in a fixed-size ring: recording never grows memory. */
public final class SpikeRecorder {

    private final int[] steps;
    private final short[] pops;
    private final int[] neurons;
    private int next;
    private long total;

    SpikeRecorder(int capacity) {
        if (capacity < 0 || capacity > 1 << 26) throw new IllegalArgumentException("recorder capacity 0..2^26");
        steps = new int[capacity];
        pops = new short[capacity];
        neurons = new int[capacity];
    }

    void record(int step, int pop, int[] ids, int n) {
        if (steps.length == 0) return;
        for (int q = 0; q < n; q++) {
            steps[next] = step;
            pops[next] = (short) pop;
            neurons[next] = ids[q];
            next = (next + 1) % steps.length;
        }
        total += n;
    }

    /** Spikes held (at most the capacity). */
    public int size() {
        return (int) Math.min(total, steps.length);
    }

    public long total() {
        return total;
    }

    void clear() {
        next = 0;
        total = 0;
    }

    /** Visits held spikes oldest first: (step, population, neuron). */
    public void forEach(SpikeVisitor v) {
        int n = size();
        int start = (next - n + steps.length) % Math.max(1, steps.length);
        for (int i = 0; i < n; i++) {
            int at = (start + i) % steps.length;
            v.spike(steps[at], pops[at], neurons[at]);
        }
    }

    public interface SpikeVisitor {
        void spike(int step, int population, int neuron);
    }

    /** CSV: step,population,neuron. */
    public void writeCsv(Writer out) throws IOException {
        out.write("step,population,neuron\n");
        IOException[] err = new IOException[1];
        forEach((s, p, n) -> {
            if (err[0] != null) return;
            try {
                out.write(s + "," + p + "," + n + "\n");
            } catch (IOException e) {
                err[0] = e;
            }
        });
        if (err[0] != null) throw err[0];
    }
}
