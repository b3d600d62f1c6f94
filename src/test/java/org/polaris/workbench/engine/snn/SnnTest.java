package org.polaris.workbench.engine.snn;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The simulator against closed forms, hand-computed STDP pairs and encoder statistics. */
class SnnTest {

    @Test
    void lifMembraneFollowsTheExactExponentialSolution() {
        NeuronParams p = new NeuronParams(10, -65, -70, 1e9, 0, 0.5, false); // threshold out of reach
        Population pop = new Population("x", 1, p);
        double d = Math.exp(-0.5 / 10);
        // decay from 10 mV above rest with no input: v_n = rest + 10 d^n
        pop.v[0] = -55f;
        for (int n = 1; n <= 40; n++) {
            pop.step();
            assertThat((double) pop.v(0)).isCloseTo(-65 + 10 * Math.pow(d, n), within(1e-4));
        }
        // constant input I per step from rest: v_n = rest + I (1 - d^n) / (1 - d)
        pop.reset();
        for (int n = 1; n <= 60; n++) {
            pop.inject(0, 0.7f);
            pop.step();
            assertThat((double) pop.v(0)).isCloseTo(-65 + 0.7 * (1 - Math.pow(d, n)) / (1 - d), within(1e-3));
        }
    }

    @Test
    void refractoryPeriodIsExactlyItsNumberOfSteps() {
        NeuronParams p = new NeuronParams(20, 0, 0, 1, 3, 1, false);
        Population pop = new Population("x", 1, p);
        List<Integer> spikes = new ArrayList<>();
        for (int t = 0; t < 13; t++) {
            pop.inject(0, 5f); // strong enough to fire whenever it integrates
            pop.step();
            if (pop.spikeCount() == 1) spikes.add(t);
        }
        // fires, ignores input for exactly 3 steps, fires on the 4th
        assertThat(spikes).containsExactly(0, 4, 8, 12);
        // reset by subtraction keeps the surplus (integrate-and-fire for conversion)
        Population f = new Population("if", 1, NeuronParams.integrateAndFire());
        f.inject(0, 1.75f);
        f.step();
        assertThat(f.spikeCount()).isEqualTo(1);
        assertThat(f.v(0)).isEqualTo(0.75f);
    }

    private static float pair(int preAt, int postAt, boolean multiplicative) {
        Network net = new Network(64);
        Population pre = net.add(new Population("pre", 1, Network.input()));
        Population post = net.add(new Population("post", 1, new NeuronParams(Double.POSITIVE_INFINITY, 0, 0, 1, 0, 1, false)));
        Projection p = net.connect(Projection.dense(pre, post, new float[][] {{0.25f}}, 0));
        net.learn(new Stdp(p, 0.01, 0.02, 20, 10, 0, 1, multiplicative));
        for (int t = 0; t <= Math.max(preAt, postAt); t++) {
            if (t == preAt) pre.inject(0, 1f);
            if (t == postAt) post.inject(0, 1f);
            net.step(null, null);
        }
        return p.weight(0);
    }

    @Test
    void stdpChangesMatchHandComputedPairs() {
        // pre 5 steps before post: potentiation A+ exp(-5 / tau+)
        assertThat((double) pair(0, 5, false)).isCloseTo(0.25 + 0.01 * Math.exp(-5 / 20.0), within(1e-6));
        // post 5 steps before pre: depression A- exp(-5 / tau-)
        assertThat((double) pair(5, 0, false)).isCloseTo(0.25 - 0.02 * Math.exp(-5 / 10.0), within(1e-6));
        // multiplicative: scaled by the distance to the bound
        assertThat((double) pair(0, 3, true)).isCloseTo(0.25 + 0.01 * (1 - 0.25) * Math.exp(-3 / 20.0), within(1e-6));
        assertThat((double) pair(3, 0, true)).isCloseTo(0.25 - 0.02 * 0.25 * Math.exp(-3 / 10.0), within(1e-6));
        // the same step: no pair, no change
        assertThat(pair(2, 2, false)).isEqualTo(0.25f);
    }

    @Test
    void stdpMakesANeuronSelectiveToARepeatedPattern() {
        StdpDemo.Result r = StdpDemo.run(20_000, 20, 50, 5, 3);
        assertThat(r.patternWeightBefore()).isEqualTo(r.noiseWeightBefore());
        assertThat(r.patternWeightAfter()).isGreaterThan(0.9);
        assertThat(r.noiseWeightAfter()).isLessThan(0.3);
        assertThat(r.outputSpikes()).isGreaterThan(100);
    }

    @Test
    void encodersProduceTheirRates() {
        Population in = new Population("in", 3, Network.input());
        Encoder poisson = Encoder.poisson(1000, 1, 9);
        long[] counts = new long[3];
        float[] values = {0.3f, 0f, 1f};
        int steps = 20_000;
        for (int t = 0; t < steps; t++) {
            poisson.encode(t, values, in);
            in.step();
            for (int q = 0; q < in.spikeCount(); q++) counts[in.spikes()[q]]++;
        }
        double sigma = Math.sqrt(steps * 0.3 * 0.7);
        assertThat((double) counts[0]).isCloseTo(0.3 * steps, within(4 * sigma));
        assertThat(counts[1]).isZero();
        assertThat(counts[2]).isEqualTo(steps);
        Encoder rate = Encoder.constantRate();
        Population in2 = new Population("in", 1, Network.input());
        int n = 0;
        for (int t = 0; t < 10_000; t++) {
            rate.encode(t, new float[] {0.25f}, in2);
            in2.step();
            n += in2.spikeCount();
        }
        assertThat(n).isEqualTo(2500);
        Encoder lat = Encoder.latency(100);
        Population in3 = new Population("in", 3, Network.input());
        List<String> fired = new ArrayList<>();
        for (int t = 0; t < 100; t++) {
            lat.encode(t, new float[] {1f, 0.5f, 0f}, in3);
            in3.step();
            for (int q = 0; q < in3.spikeCount(); q++) fired.add(in3.spikes()[q] + "@" + t);
        }
        assertThat(fired).containsExactly("0@0", "1@50");
    }

    @Test
    void poolSplitStepsGiveTheSameSpikesAndPotentials() {
        int n = 100_000;
        NeuronParams p = new NeuronParams(20, 0, 0, 1, 2, 1, false);
        Population one = new Population("a", n, p);
        Population two = new Population("b", n, p);
        java.util.Random r = new java.util.Random(4);
        try (org.polaris.workbench.engine.job.EnginePool pool = new org.polaris.workbench.engine.job.EnginePool(2)) {
            for (int t = 0; t < 20; t++) {
                for (int i = 0; i < n; i++) {
                    float in = r.nextFloat() * 0.3f;
                    one.inject(i, in);
                    two.inject(i, in);
                }
                one.step();
                two.step(pool);
                assertThat(two.spikeCount()).isEqualTo(one.spikeCount());
                assertThat(java.util.Arrays.copyOf(two.spikes(), two.spikeCount()))
                        .containsExactly(java.util.Arrays.copyOf(one.spikes(), one.spikeCount()));
            }
            assertThat(two.v).containsExactly(one.v);
            assertThat(one.totalSpikes()).isPositive().isEqualTo(two.totalSpikes());
        }
    }

    @Test
    void parallelPropagationDeliversTheSameEvents() {
        // weights that are exact binary fractions: sums do not depend on the order of additions
        long[] spikes = new long[2];
        long[] synops = new long[2];
        for (int run = 0; run < 2; run++) {
            Network net = new Network(0);
            Population a = net.add(new Population("a", 3000, new NeuronParams(20, 0, 0, 1, 2, 1, false)));
            java.util.Random r = new java.util.Random(2);
            float[] bias = new float[3000];
            for (int i = 0; i < bias.length; i++) bias[i] = 0.125f * r.nextInt(3);
            a.setBias(bias);
            net.connect(Projection.random(a, a, 200, () -> (r.nextInt(5) - 2) * 0.0625, 1, 9));
            try (org.polaris.workbench.engine.job.EnginePool pool = new org.polaris.workbench.engine.job.EnginePool(2)) {
                net.setPool(run == 0 ? null : pool);
                for (int t = 0; t < 300; t++) net.step(null, null);
            }
            spikes[run] = net.stats().spikes();
            synops[run] = net.stats().synops();
        }
        assertThat(spikes[0]).isPositive().isEqualTo(spikes[1]);
        assertThat(synops[0]).isGreaterThan(20_000).isEqualTo(synops[1]);
    }

    @Test
    void decodersReadRateFirstSpikeAndWeightedCounts() {
        Population out = new Population("out", 3, Network.input());
        Decoder rate = new Decoder(Decoder.Kind.RATE, 3, 10);
        Decoder first = new Decoder(Decoder.Kind.FIRST, 3, 10);
        Decoder weighted = new Decoder(Decoder.Kind.WEIGHTED, 3, 2);
        assertThat(rate.decision()).isEqualTo(-1);
        // neuron 2 fires first (step 0) once; neuron 1 fires three times late (steps 10, 11, 12)
        int[][] spikesAt = {{2}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {1}, {1}, {1}};
        for (int t = 0; t < spikesAt.length; t++) {
            for (int i : spikesAt[t]) out.inject(i, 1f);
            out.step();
            rate.observe(t, out);
            first.observe(t, out);
            weighted.observe(t, out);
        }
        assertThat(rate.decision()).isEqualTo(1);
        assertThat(first.decision()).isEqualTo(2);
        // exp(0) = 1 for neuron 2 against 3 exp(-10/2) = 0.02 for neuron 1
        assertThat(weighted.decision()).isEqualTo(2);
    }

    @Test
    void delaysAndEventDrivenSynapticOperations() {
        Network net = new Network(1024);
        Population a = net.add(new Population("a", 10, Network.input()));
        Population b = net.add(new Population("b", 50, new NeuronParams(Double.POSITIVE_INFINITY, 0, 0, 1, 0, 1, false)));
        Projection p = net.connect(Projection.random(a, b, 7, () -> 1.0, 3, 1));
        a.inject(4, 1f);
        List<Integer> bSpikes = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
            net.step(null, null);
            if (b.spikeCount() > 0) bSpikes.add(t);
        }
        assertThat(bSpikes).containsExactly(3); // three steps of delay
        assertThat(b.totalSpikes()).isEqualTo(7); // the 7 distinct targets of neuron 4
        assertThat(p.synops()).isEqualTo(7); // one spike, seven events: work follows spikes
        Network.Stats s = net.stats();
        assertThat(s.spikes()).isEqualTo(8);
        assertThat(s.eventSparsity()).isCloseTo(1 - 8.0 / (6 * 60), within(1e-12));
        assertThat(net.recorder().size()).isEqualTo(8);
    }
}
