package org.polaris.workbench.engine.snn;

import java.util.ArrayList;
import java.util.List;

/**
 * Populations updated in order each step, projections between them, an encoder driving the first population, and
 * a bounded spike recorder. One {@link #step}: due events are delivered, each population integrates, its spikes are
 * propagated (delay 0 reaches later populations in the same step), learning rules see the step's spikes.
 */
public final class Network {

    /** The recorder keeps at most this many (step, population, neuron) spikes, the newest. */
    public static final int DEFAULT_RECORD = 1 << 20;

    private final List<Population> populations = new ArrayList<>();
    private final List<Projection> projections = new ArrayList<>();
    private final List<Stdp> rules = new ArrayList<>();
    private final SpikeRecorder recorder;
    private int step;
    private org.polaris.workbench.engine.job.EnginePool pool;

    public Network(int recordCapacity) {
        this.recorder = new SpikeRecorder(recordCapacity);
    }

    /** An input population: IF neurons with threshold 1 and no refractory period, one per encoded value. */
    public static NeuronParams input() {
        return new NeuronParams(Double.POSITIVE_INFINITY, 0, 0, 1, 0, 1, false);
    }

    public Population add(Population p) {
        populations.add(p);
        return p;
    }

    public Projection connect(Projection p) {
        if (!populations.contains(p.pre()) || !populations.contains(p.post())) {
            throw new IllegalArgumentException("both populations must be added first");
        }
        projections.add(p);
        return p;
    }

    /** Splits large populations' updates and busy propagation over {@code pool} (null: one thread). */
    public void setPool(org.polaris.workbench.engine.job.EnginePool pool) {
        this.pool = pool;
    }

    public void learn(Stdp rule) {
        rules.add(rule);
    }

    public List<Population> populations() {
        return List.copyOf(populations);
    }

    public List<Projection> projections() {
        return List.copyOf(projections);
    }

    public SpikeRecorder recorder() {
        return recorder;
    }

    public int stepCount() {
        return step;
    }

    /** Advances one step; {@code values} (may be null) go through {@code encoder} into the first population. */
    public void step(Encoder encoder, float[] values) {
        if (encoder != null && values != null) {
            encoder.encode(step, values, populations.get(0));
        }
        for (int pi = 0; pi < populations.size(); pi++) {
            Population pop = populations.get(pi);
            for (Projection pr : projections) {
                if (pr.post() == pop) pr.deliver(step);
            }
            pop.step(pool);
            recorder.record(step, pi, pop.spikes(), pop.spikeCount());
            for (Projection pr : projections) {
                if (pr.pre() == pop) pr.propagate(step, pool);
            }
        }
        for (Stdp r : rules) {
            r.update();
        }
        step++;
    }

    public void reset() {
        populations.forEach(Population::reset);
        projections.forEach(Projection::reset);
        rules.forEach(Stdp::resetTraces);
        recorder.clear();
        step = 0;
    }

    /** Spikes, event sparsity and synaptic operations so far. */
    public Stats stats() {
        long spikes = 0;
        long neurons = 0;
        for (Population p : populations) {
            spikes += p.totalSpikes();
            neurons += p.size();
        }
        long synops = 0;
        for (Projection p : projections) synops += p.synops();
        return new Stats(step, neurons, spikes, synops);
    }

    /**
     * @param eventSparsity share of neuron-steps without a spike
     */
    public record Stats(long steps, long neurons, long spikes, long synops) {
        public double eventSparsity() {
            return steps == 0 ? 1.0 : 1.0 - (double) spikes / ((double) steps * neurons);
        }

        /** Mean firing rate in Hz for a step of {@code dtMs}. */
        public double meanRateHz(double dtMs) {
            return steps == 0 ? 0 : spikes / ((double) neurons * steps * dtMs / 1000.0);
        }
    }
}
