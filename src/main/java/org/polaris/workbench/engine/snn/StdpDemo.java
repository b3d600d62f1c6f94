package org.polaris.workbench.engine.snn;

import java.util.Random;

/**
 * The worked STDP example: 100 inputs fire as Poisson noise at {@code noiseHz}; the first {@code patternSize} of them
 * also fire together every {@code period} steps. One LIF neuron listens through plastic synapses (delay 1 step,
 * additive pair STDP whose depression window outweighs potentiation, A- tau- > A+ tau+). Pattern inputs fire just before the neuron does and are
 * potentiated; noise inputs are uncorrelated with its spikes and drift down: the neuron becomes selective to the
 * pattern.
 */
public final class StdpDemo {

    public record Result(double patternWeightBefore, double noiseWeightBefore, double patternWeightAfter,
                         double noiseWeightAfter, long outputSpikes, int steps, float[] weights) {
        /** How much more a pattern synapse weighs than a noise synapse after learning. */
        public double selectivity() {
            return patternWeightAfter - noiseWeightAfter;
        }
    }

    public static final int INPUTS = 100;

    private StdpDemo() {
    }

    public static Result run(int steps, int patternSize, int period, double noiseHz, long seed) {
        Network net = new Network(1 << 16);
        Population in = net.add(new Population("input", INPUTS, Network.input()));
        Population out = net.add(new Population("output", 1, new NeuronParams(20, 0, 0, 8, 2, 1, false)));
        float[][] w0 = new float[INPUTS][1];
        for (float[] r : w0) r[0] = 0.5f;
        Projection p = net.connect(Projection.dense(in, out, w0, 1));
        net.learn(new Stdp(p, 0.01, 0.015, 20, 30, 0, 1, false));
        double[] before = means(p, patternSize);
        Random r = new Random(seed);
        double prob = noiseHz / 1000.0;
        for (int t = 0; t < steps; t++) {
            for (int i = 0; i < INPUTS; i++) {
                boolean fire = r.nextDouble() < prob || (i < patternSize && t % period == 0);
                if (fire) in.inject(i, 1f);
            }
            net.step(null, null);
        }
        double[] after = means(p, patternSize);
        float[] w = new float[INPUTS];
        for (int i = 0; i < INPUTS; i++) w[i] = p.weight(i);
        return new Result(before[0], before[1], after[0], after[1], out.totalSpikes(), steps, w);
    }

    private static double[] means(Projection p, int patternSize) {
        double a = 0;
        double b = 0;
        for (int i = 0; i < INPUTS; i++) {
            if (i < patternSize) a += p.weight(i);
            else b += p.weight(i);
        }
        return new double[] {a / patternSize, b / (INPUTS - patternSize)};
    }
}
