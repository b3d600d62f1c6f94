package org.polaris.workbench.engine.snn;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A network run step by step for display: a worker thread calls {@link #advance}, the UI reads thread-safe
 * snapshots: the newest spikes (a bounded ring with sequence numbers, so a raster can ask "what is new since N"),
 * population rates over windows of {@link #RATE_WINDOW} steps, membrane traces of a few neurons, the learning
 * projection's weights, and running statistics. Parameter changes are applied between steps.
 */
public final class LiveSimulation {

    public enum Template { FEEDFORWARD, STDP, CONVERTED }

    public static final int RATE_WINDOW = 50;
    public static final int RASTER_CAPACITY = 200_000;
    public static final int HISTORY = 2_000;

    /** One displayed spike: simulation step and the neuron's row in the raster (populations stacked). */
    /**
     * One consistent snapshot for drawing: spikes after a sequence number, the raster's row layout, the traced
     * neurons' membrane traces (one per distinct neuron), population rate histories and the plastic weights.
     */
    public record Frame(List<Spike> spikes, int rows, int[] rowOffsets, List<String> populations, int[] traced,
                        List<double[][]> traces, List<double[][]> rates, float[] weights) {
    }

    /** Everything a view draws, taken under the simulation's lock so that it is consistent. */
    public synchronized Frame frame(long sinceSeq) {
        int[] all = tracedNeurons();
        // a population smaller than three (the STDP example's single output) is traced once, not three times
        int distinct = (int) java.util.Arrays.stream(all).distinct().count();
        List<double[][]> traces = new java.util.ArrayList<>();
        for (int k = 0; k < distinct; k++) {
            traces.add(trace(k));
        }
        List<String> names = populationNames();
        List<double[][]> rates = new java.util.ArrayList<>();
        for (int p = 0; p < names.size(); p++) {
            rates.add(rateHistory(p));
        }
        return new Frame(spikesSince(sinceSeq), rows(), rowOffsets(), names, java.util.Arrays.copyOf(all, distinct),
                List.copyOf(traces), List.copyOf(rates), weights());
    }

    public record Spike(long seq, int step, int row) {
    }

    public record Stats(int steps, long spikes, long synops, double eventSparsity, double[] ratesHz) {
    }

    private final Template template;
    private final Network net;
    private final Population input;
    private final Projection plastic;
    private Stdp rule;
    private String encoding = "rate";
    private final int[] rowOffset;
    private final Random random = new Random(11);
    private final float[] inputRates;
    private final int patternSize = 20;
    /** CONVERTED: the image being classified (rates in [0, 1]) and how it enters. */
    private float[] image;
    private Encoder encoder;
    private int label = -1;

    private final long[] seqs = new long[RASTER_CAPACITY];
    private final int[] rsteps = new int[RASTER_CAPACITY];
    private final int[] rrows = new int[RASTER_CAPACITY];
    private long nextSeq;
    private final double[][] rates;
    private final int[] rateSteps = new int[HISTORY];
    private int rateCount;
    private final long[] windowSpikes;
    private final float[][] traces;
    private final int[] traceNeurons;
    private final int watchedSize;
    private final int[] traceSteps = new int[HISTORY];
    private int traceCount;
    private volatile double pendingTau = Double.NaN;
    private volatile double pendingThreshold = Double.NaN;
    private volatile double inputHz;
    /** A device change waiting for the worker: null = none pending; an empty Optional = back to the CPU. */
    private volatile java.util.Optional<org.polaris.workbench.engine.opencl.ClKernels> pendingDevice;
    private volatile boolean onDevice;

    public LiveSimulation(Template template, int hidden, double inputHz) {
        this(template, hidden, inputHz, null);
    }

    /**
     * The CONVERTED template: an ANN-to-SNN network watched on one image at a time ({@link #show}); other templates
     * ignore {@code converted}.
     */
    public LiveSimulation(AnnToSnn.Converted converted) {
        this(Template.CONVERTED, 1, 0, converted);
    }

    private LiveSimulation(Template template, int hidden, double inputHz, AnnToSnn.Converted converted) {
        if (hidden < 1 || hidden > 100_000) throw new IllegalArgumentException("hidden neurons 1..100,000");
        this.template = template;
        this.inputHz = inputHz;
        Random r = new Random(5);
        this.net = template == Template.CONVERTED ? AnnToSnn.build(converted) : new Network(0);
        if (template == Template.CONVERTED) {
            input = net.populations().get(0);
            plastic = null;
        } else if (template == Template.STDP) {
            input = net.add(new Population("input", StdpDemo.INPUTS, Network.input()));
            Population out = net.add(new Population("output", 1, new NeuronParams(20, 0, 0, 8, 2, 1, false)));
            float[][] w0 = new float[StdpDemo.INPUTS][1];
            for (float[] row : w0) row[0] = 0.5f;
            plastic = net.connect(Projection.dense(input, out, w0, 1));
            rule = new Stdp(plastic, 0.01, 0.015, 20, 30, 0, 1, false);
            net.learn(rule);
        } else {
            input = net.add(new Population("input", 100, Network.input()));
            Population h = net.add(new Population("hidden", hidden, new NeuronParams(20, 0, 0, 1, 2, 1, false)));
            Population o = net.add(new Population("output", 10, new NeuronParams(20, 0, 0, 1, 2, 1, false)));
            net.connect(Projection.random(input, h, Math.min(hidden, 50), () -> r.nextDouble() * 0.3, 1, 2));
            net.connect(Projection.random(h, o, 10, () -> r.nextDouble() * 0.05, 1, 3));
            plastic = null;
        }
        List<Population> pops = net.populations();
        rowOffset = new int[pops.size() + 1];
        for (int i = 0; i < pops.size(); i++) rowOffset[i + 1] = rowOffset[i] + pops.get(i).size();
        rates = new double[pops.size()][HISTORY];
        windowSpikes = new long[pops.size()];
        inputRates = new float[input.size()];
        for (int i = 0; i < inputRates.length; i++) inputRates[i] = template == Template.STDP ? 1f : 0.5f + r.nextFloat();
        Population watched = pops.get(1);
        watchedSize = watched.size();
        traceNeurons = new int[] {0, Math.min(1, watched.size() - 1), Math.min(2, watched.size() - 1)};
        traces = new float[3][HISTORY];
    }

    /** CONVERTED: starts over on {@code pixels} (values in [0, 1]) with its label (or -1). */
    public synchronized void show(float[] pixels, int label) {
        if (template != Template.CONVERTED || pixels.length != input.size()) {
            throw new IllegalArgumentException("a converted network takes " + input.size() + " input values");
        }
        net.reset();
        this.image = pixels.clone();
        this.label = label;
        this.encoder = Encoder.parse(encoding, 7);
        nextSeq = 0;
        rateCount = 0;
        traceCount = 0;
        java.util.Arrays.fill(windowSpikes, 0);
    }

    /** CONVERTED: the class the output layer's membranes currently favour, and the shown image's label. */
    public synchronized int[] prediction() {
        List<Population> pops = net.populations();
        Population out = pops.get(pops.size() - 1);
        int best = 0;
        for (int i = 1; i < out.size(); i++) if (out.v(i) > out.v(best)) best = i;
        return new int[] {best, label};
    }

    public Template template() {
        return template;
    }

    /** Total raster rows (neurons of all populations). */
    public int rows() {
        return rowOffset[rowOffset.length - 1];
    }

    public List<String> populationNames() {
        List<String> n = new ArrayList<>();
        net.populations().forEach(p -> n.add(p.name() + " (" + p.size() + ")"));
        return n;
    }

    /** The first raster row of each population. */
    public int[] rowOffsets() {
        return rowOffset.clone();
    }

    public void setTau(double tau) {
        pendingTau = tau;
    }

    public void setThreshold(double t) {
        pendingThreshold = t;
    }

    /** STDP template: potentiation rate A+, depression A- kept at 1.5 A+ (the example's balance). */
    public void setStdpRate(double aPlus) {
        if (rule != null) rule.setRates(aPlus, 1.5 * aPlus);
    }

    /** CONVERTED: how the image enters (rate, poisson, latency) from the next {@link #show}. */
    public synchronized void setEncoding(String e) {
        Encoder.parse(e, 0);
        this.encoding = e;
    }

    public void setInputHz(double hz) {
        inputHz = hz;
    }

    /** Runs {@code steps} steps (worker thread). */
    public void advance(int steps) {
        List<Population> pops = net.populations();
        for (int s = 0; s < steps; s++) {
            applyPending(pops);
            int t = net.stepCount();
            if (template == Template.CONVERTED) {
                if (image == null) return;
                net.step(encoder, image);
            } else {
                double prob = inputHz / 1000.0;
                for (int i = 0; i < input.size(); i++) {
                    boolean fire = random.nextDouble() < prob * inputRates[i]
                            || template == Template.STDP && i < patternSize && t % 50 == 0;
                    if (fire) input.inject(i, 1f);
                }
                net.step(null, null);
            }
            synchronized (this) {
                for (int p = 0; p < pops.size(); p++) {
                    Population pop = pops.get(p);
                    int[] ids = pop.spikes();
                    for (int q = 0; q < pop.spikeCount(); q++) {
                        int at = (int) (nextSeq % RASTER_CAPACITY);
                        seqs[at] = nextSeq++;
                        rsteps[at] = t;
                        rrows[at] = rowOffset[p] + ids[q];
                    }
                    windowSpikes[p] += pop.spikeCount();
                }
                Population watched = pops.get(1);
                int ta = traceCount % HISTORY;
                for (int k = 0; k < 3; k++) traces[k][ta] = watched.v(traceNeurons[k]);
                traceSteps[ta] = t;
                traceCount++;
                if ((t + 1) % RATE_WINDOW == 0) {
                    int ra = rateCount % HISTORY;
                    for (int p = 0; p < pops.size(); p++) {
                        rates[p][ra] = windowSpikes[p] / (pops.get(p).size() * RATE_WINDOW / 1000.0);
                        windowSpikes[p] = 0;
                    }
                    rateSteps[ra] = t + 1;
                    rateCount++;
                }
            }
        }
    }

    /** Runs the neuron updates (not the input population) on an OpenCL device from the next step; null: the CPU. */
    public void setDevice(org.polaris.workbench.engine.opencl.ClKernels k) {
        pendingDevice = java.util.Optional.ofNullable(k);
    }

    public boolean onDevice() {
        return onDevice;
    }

    private void applyPending(List<Population> pops) {
        var dev = pendingDevice;
        if (dev != null) {
            pendingDevice = null;
            for (int i = 1; i < pops.size(); i++) pops.get(i).useDevice(dev.orElse(null));
            onDevice = dev.isPresent();
        }
        double tau = pendingTau;
        double th = pendingThreshold;
        if (!Double.isNaN(tau) || !Double.isNaN(th)) {
            pendingTau = Double.NaN;
            pendingThreshold = Double.NaN;
            for (int i = 1; i < pops.size() && template != Template.CONVERTED; i++) {
                NeuronParams p = pops.get(i).params();
                if (!Double.isNaN(tau)) p = p.withTau(tau);
                if (!Double.isNaN(th)) p = p.withThreshold(th);
                pops.get(i).setParams(p);
            }
        }
    }

    /** Spikes with sequence numbers >= {@code fromSeq} still held (oldest first). */
    public synchronized List<Spike> spikesSince(long fromSeq) {
        long first = Math.max(fromSeq, nextSeq - RASTER_CAPACITY);
        List<Spike> out = new ArrayList<>((int) Math.max(0, nextSeq - first));
        for (long s = first; s < nextSeq; s++) {
            int at = (int) (s % RASTER_CAPACITY);
            out.add(new Spike(seqs[at], rsteps[at], rrows[at]));
        }
        return out;
    }

    /** Per population, (window end step, Hz) oldest first. */
    public synchronized double[][] rateHistory(int population) {
        int n = Math.min(rateCount, HISTORY);
        double[][] out = new double[2][n];
        for (int i = 0; i < n; i++) {
            int at = (rateCount - n + i) % HISTORY;
            out[0][i] = rateSteps[at];
            out[1][i] = rates[population][at];
        }
        return out;
    }

    /** Traces neurons {@code first}, {@code first + 1}, {@code first + 2} of the second population from now on. */
    public synchronized void traceFrom(int first) {
        int f = Math.max(0, Math.min(first, watchedSize - 1));
        for (int k = 0; k < 3; k++) traceNeurons[k] = Math.min(watchedSize - 1, f + k);
        traceCount = 0;
    }

    /** The neurons being traced. */
    public synchronized int[] tracedNeurons() {
        return traceNeurons.clone();
    }

    /** Membrane potential of the k-th watched neuron (of the second population): (step, v) oldest first. */
    public synchronized double[][] trace(int k) {
        int n = Math.min(traceCount, HISTORY);
        double[][] out = new double[2][n];
        for (int i = 0; i < n; i++) {
            int at = (traceCount - n + i) % HISTORY;
            out[0][i] = traceSteps[at];
            out[1][i] = traces[k][at];
        }
        return out;
    }

    /** The plastic weights (STDP template), else empty. */
    public synchronized float[] weights() {
        if (plastic == null) return new float[0];
        float[] w = new float[(int) plastic.synapses()];
        for (int i = 0; i < w.length; i++) w[i] = plastic.weight(i);
        return w;
    }

    public synchronized Stats stats() {
        Network.Stats s = net.stats();
        List<Population> pops = net.populations();
        double[] hz = new double[pops.size()];
        for (int i = 0; i < hz.length; i++) {
            hz[i] = s.steps() == 0 ? 0 : pops.get(i).totalSpikes() / (pops.get(i).size() * s.steps() / 1000.0);
        }
        return new Stats((int) s.steps(), s.spikes(), s.synops(), s.eventSparsity(), hz);
    }

    public synchronized long spikeSeq() {
        return nextSeq;
    }
}
