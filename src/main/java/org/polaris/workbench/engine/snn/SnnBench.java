package org.polaris.workbench.engine.snn;

import java.util.Random;

/**
 * Synaptic-event throughput: one recurrent LIF population with random fan-out, driven by a tonic input tuned to the
 * requested rate (initial potentials spread so neurons do not fire in lockstep) and weak balanced recurrent weights,
 * simulated on one thread. Reports the measured firing rate with the events per second.
 */
public final class SnnBench {

    public record Result(int neurons, int fanout, int steps, double targetHz, double measuredHz, long spikes,
                         long events, double wallMs) {
        public double eventsPerSecond() {
            return events / (wallMs / 1000);
        }
    }

    private SnnBench() {
    }

    public static Result run(int neurons, int fanout, double rateHz, int steps, long seed) {
        return run(neurons, fanout, rateHz, steps, seed, null);
    }

    /** As {@link #run(int, int, double, int, long)} with neuron updates and propagation over {@code pool}. */
    public static Result run(int neurons, int fanout, double rateHz, int steps, long seed,
                             org.polaris.workbench.engine.job.EnginePool pool) {
        if (!(rateHz > 0 && rateHz < 400)) throw new IllegalArgumentException("rate must be in (0, 400) Hz");
        if (steps < 1 || steps > 1_000_000) throw new IllegalArgumentException("steps must be 1..1,000,000");
        NeuronParams p = new NeuronParams(20, 0, 0, 1, 2, 1, false);
        // tonic drive I with period T = refractory + tau * ln(I' / (I' - 1)), I' = I / (1 - d) the asymptote
        double d = p.decay();
        double periodSteps = 1000.0 / rateHz - p.refractorySteps();
        double asymptote = 1.0 / (1.0 - Math.exp(-periodSteps / p.tauMem()));
        float drive = (float) (asymptote * (1 - d));
        Network net = new Network(0);
        net.setPool(pool);
        Population pop = net.add(new Population("neurons", neurons, p));
        float[] bias = new float[neurons];
        java.util.Arrays.fill(bias, drive);
        pop.setBias(bias);
        Random r = new Random(seed);
        for (int i = 0; i < neurons; i++) pop.v[i] = r.nextFloat();
        net.connect(Projection.random(pop, pop, fanout, () -> (r.nextDouble() - 0.5) * 0.002, 1, seed + 1));
        for (int t = 0; t < Math.min(steps, 200); t++) net.step(null, null); // warm-up: JIT and rates settle
        long spikes0 = pop.totalSpikes();
        long events0 = net.stats().synops();
        long t0 = System.nanoTime();
        for (int t = 0; t < steps; t++) net.step(null, null);
        double wallMs = (System.nanoTime() - t0) / 1e6;
        long spikes = pop.totalSpikes() - spikes0;
        long events = net.stats().synops() - events0;
        double hz = spikes / (neurons * steps * p.dt() / 1000.0);
        return new Result(neurons, fanout, steps, rateHz, hz, spikes, events, wallMs);
    }
}
