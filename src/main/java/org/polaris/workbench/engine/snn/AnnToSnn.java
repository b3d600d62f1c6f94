package org.polaris.workbench.engine.snn;

import org.polaris.workbench.engine.data.Dataset;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * ANN-to-SNN conversion of a ReLU MLP (Flatten, then Gemm layers with Relu between them) from an ONNX model: rate
 * coding of the inputs, integrate-and-fire hidden neurons (threshold 1, reset by subtraction), data-based
 * normalization (each layer's weights scaled by the previous layer's and divided by its own 99.9th-percentile
 * activation on calibration data, biases divided by their layer's), and a non-spiking output layer whose membrane
 * potentials are read out. Biases enter as constant current every step.
 */
public final class AnnToSnn {

    /** One dense layer, weights row-major [out][in]. */
    public record Layer(float[] w, float[] b, int in, int out) {
    }

    /** The converted network: normalized layers and the activation scale of each. */
    public record Converted(List<Layer> layers, double[] scales) {
    }

    /** Accuracy of the SNN at each step count, against the ANN on the same samples, with operation counts. */
    public record Curve(int[] steps, double[] accuracy, double annAccuracy, int samples, long annMacsPerSample,
                        double synopsPerSample, double eventSparsity, String encoding) {

        /** Energy estimate per sample in nJ: {@link #PJ_PER_MAC} per ANN multiply-accumulate. */
        public double annEnergyNj() {
            return annMacsPerSample * PJ_PER_MAC / 1000;
        }

        /** {@link #PJ_PER_SYNOP} per synaptic event (one accumulate), at the longest step count. */
        public double snnEnergyNj() {
            return synopsPerSample * PJ_PER_SYNOP / 1000;
        }
    }

    /**
     * Energy per operation, 45 nm CMOS, 32-bit float (M. Horowitz, "Computing's energy problem", ISSCC 2014): a
     * multiply-accumulate 3.7 + 0.9 pJ, an accumulate 0.9 pJ. Memory access, which dominates on real hardware, is
     * not counted for either network.
     */
    public static final double PJ_PER_MAC = 4.6;
    public static final double PJ_PER_SYNOP = 0.9;

    private AnnToSnn() {
    }

    /** The Gemm layers of an MLP, in order; anything else (Conv, residuals, other activations) is refused by name. */
    public static List<Layer> extract(OnnxModel m) {
        Map<String, Tensor> inits = new HashMap<>();
        m.graph().initializers().forEach(t -> inits.put(t.name(), t));
        List<Layer> out = new ArrayList<>();
        for (Node n : m.graph().nodes()) {
            switch (n.opType()) {
                case "Flatten", "Relu", "Reshape", "Identity" -> {
                }
                case "Gemm" -> {
                    Tensor w = inits.get(n.inputs().get(1));
                    if (w == null || w.rank() != 2 || n.attribute("transA").map(Attribute::asLong).orElse(0L) != 0) {
                        throw new IllegalArgumentException(m.displayName() + ": Gemm " + n.name() + " has no constant 2-D weight");
                    }
                    boolean tb = n.attribute("transB").map(Attribute::asLong).orElse(0L) == 1;
                    long[] d = w.dims();
                    int outN = (int) (tb ? d[0] : d[1]);
                    int inN = (int) (tb ? d[1] : d[0]);
                    float[] v = w.toFloats();
                    float[] rows = new float[outN * inN];
                    for (int o = 0; o < outN; o++) {
                        for (int i = 0; i < inN; i++) rows[o * inN + i] = tb ? v[o * inN + i] : v[i * outN + o];
                    }
                    float[] b = new float[outN];
                    if (n.inputs().size() > 2 && inits.containsKey(n.inputs().get(2))) {
                        float[] bv = inits.get(n.inputs().get(2)).toFloats();
                        for (int o = 0; o < outN; o++) b[o] = bv.length == 1 ? bv[0] : bv[o];
                    }
                    out.add(new Layer(rows, b, inN, outN));
                }
                default -> throw new IllegalArgumentException(m.displayName() + ": " + n.opType() + " (" + n.name()
                        + ") cannot be converted; only ReLU MLPs (Flatten, Gemm, Relu) are supported");
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(m.displayName() + " has no Gemm layer to convert");
        }
        return out;
    }

    /** ANN forward pass; returns every layer's output (ReLU applied to all but the last). */
    static float[][] forward(List<Layer> layers, float[] x) {
        float[][] acts = new float[layers.size()][];
        float[] a = x;
        for (int l = 0; l < layers.size(); l++) {
            Layer L = layers.get(l);
            float[] y = new float[L.out()];
            for (int o = 0; o < L.out(); o++) {
                double s = L.b()[o];
                for (int i = 0; i < L.in(); i++) s += (double) L.w()[o * L.in() + i] * a[i];
                y[o] = l < layers.size() - 1 ? (float) Math.max(0, s) : (float) s;
            }
            acts[l] = y;
            a = y;
        }
        return acts;
    }

    private static float[] sample(Dataset d, int i) {
        return d.batch(i, 1).toFloats();
    }

    /** Data-based normalization with the {@code percentile} (e.g. 99.9) of each hidden layer's positive activations. */
    public static Converted normalize(List<Layer> ann, Dataset calib, int samples, double percentile) {
        int n = Math.min(samples, calib.size());
        List<List<Float>> acts = new ArrayList<>();
        for (int l = 0; l < ann.size(); l++) acts.add(new ArrayList<>());
        for (int s = 0; s < n; s++) {
            float[][] a = forward(ann, sample(calib, s));
            for (int l = 0; l < ann.size(); l++) for (float v : a[l]) if (v > 0) acts.get(l).add(v);
        }
        double[] scale = new double[ann.size()];
        for (int l = 0; l < ann.size(); l++) {
            float[] v = new float[acts.get(l).size()];
            for (int i = 0; i < v.length; i++) v[i] = acts.get(l).get(i);
            Arrays.sort(v);
            scale[l] = v.length == 0 ? 1 : Math.max(1e-6, v[(int) Math.min(v.length - 1, Math.floor(percentile / 100 * v.length))]);
        }
        List<Layer> out = new ArrayList<>();
        double prev = 1; // inputs in [0, 1] are already rates
        for (int l = 0; l < ann.size(); l++) {
            Layer L = ann.get(l);
            boolean last = l == ann.size() - 1;
            double own = last ? 1 : scale[l]; // the output layer is read out, not fired
            float[] w = L.w().clone();
            float[] b = L.b().clone();
            for (int k = 0; k < w.length; k++) w[k] = (float) (w[k] * prev / own);
            for (int k = 0; k < b.length; k++) b[k] = (float) (b[k] / own);
            out.add(new Layer(w, b, L.in(), L.out()));
            prev = own;
        }
        return new Converted(out, scale);
    }

    /** The converted network as populations and projections (input, hidden IF layers, non-spiking output). */
    public static Network build(Converted c) {
        Network net = new Network(0);
        Population prev = net.add(new Population("input", c.layers().get(0).in(), Network.input()));
        for (int l = 0; l < c.layers().size(); l++) {
            Layer L = c.layers().get(l);
            boolean last = l == c.layers().size() - 1;
            NeuronParams p = last ? new NeuronParams(Double.POSITIVE_INFINITY, 0, 0, Float.MAX_VALUE, 0, 1, true)
                    : NeuronParams.integrateAndFire();
            Population pop = net.add(new Population(last ? "output" : "hidden" + (l + 1), L.out(), p));
            pop.setBias(L.b());
            float[][] w = new float[L.in()][L.out()];
            for (int o = 0; o < L.out(); o++) for (int i = 0; i < L.in(); i++) w[i][o] = L.w()[o * L.in() + i];
            net.connect(Projection.dense(prev, pop, w, 0));
            prev = pop;
        }
        return net;
    }

    /**
     * Runs {@code samples} through the converted network for {@code max(steps)} steps each and reads the output at
     * every checkpoint; also the ANN's accuracy on the same samples. Samples run in parallel, one network per worker.
     */
    public static Curve evaluate(List<Layer> ann, Converted c, Dataset data, int samples, int[] steps, String encoding,
                                 EnginePool pool, ProgressSink progress, CancellationToken cancel) {
        int n = Math.min(samples, data.size());
        int tMax = Arrays.stream(steps).max().orElse(100);
        AtomicInteger[] correct = new AtomicInteger[steps.length];
        for (int i = 0; i < steps.length; i++) correct[i] = new AtomicInteger();
        AtomicInteger annCorrect = new AtomicInteger();
        AtomicLong synops = new AtomicLong();
        AtomicLong spikes = new AtomicLong();
        AtomicLong neuronSteps = new AtomicLong();
        AtomicInteger done = new AtomicInteger();
        int chunks = Math.max(1, Math.min(n, pool.threads() * 4));
        pool.parallelFor(chunks, 1, ch -> {
            Network net = build(c);
            List<Population> pops = net.populations();
            Population out = pops.get(pops.size() - 1);
            for (int s = ch; s < n; s += chunks) {
                cancel.throwIfCancelled();
                float[] x = sample(data, s);
                int label = data.label(s);
                float[][] a = forward(ann, x);
                if (argmax(a[a.length - 1]) == label) annCorrect.incrementAndGet();
                net.reset();
                Encoder enc = Encoder.parse(encoding, 1000L + s);
                int next = 0;
                for (int t = 1; t <= tMax; t++) {
                    net.step(enc, x);
                    while (next < steps.length && steps[next] == t) {
                        float[] v = new float[out.size()];
                        for (int o = 0; o < v.length; o++) v[o] = out.v(o);
                        if (argmax(v) == label) correct[next].incrementAndGet();
                        next++;
                    }
                }
                Network.Stats st = net.stats();
                synops.addAndGet(st.synops());
                spikes.addAndGet(st.spikes());
                neuronSteps.addAndGet(st.steps() * (st.neurons() - out.size()));
                progress.progress((double) done.incrementAndGet() / n, "simulated " + done.get() + "/" + n + " samples");
            }
        });
        double[] acc = new double[steps.length];
        for (int i = 0; i < steps.length; i++) acc[i] = (double) correct[i].get() / n;
        long macs = 0;
        for (Layer L : ann) macs += (long) L.in() * L.out();
        return new Curve(steps.clone(), acc, (double) annCorrect.get() / n, n, macs, (double) synops.get() / n,
                1.0 - (double) spikes.get() / Math.max(1, neuronSteps.get()), encoding);
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
