package org.polaris.workbench.engine.train;

import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Dim;
import org.polaris.workbench.engine.model.Graph;
import org.polaris.workbench.engine.model.GraphPrep;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;
import org.polaris.workbench.engine.quant.QdqQuantizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A trainable view of an ONNX classifier: its nodes, from the input to the logits, as a chain of differentiable
 * {@link Layer}s whose parameters are the model's float initializers (and weights kept in Constant nodes, which
 * {@link GraphPrep#normalize} turns into initializers). A final Softmax/LogSoftmax stays in the written model but the
 * loss (softmax cross-entropy) is taken on its input. Models that are not a single chain (a residual Add of two
 * activations, several inputs) are refused naming the node; so are ops without a backward pass here.
 */
public final class TrainableModel {

    private final OnnxModel model;
    private List<Layer> layers;
    /** The tensor each layer writes (parallel to {@link #layers} until QAT inserts its steps). */
    private List<String> layerOutputs = List.of();
    private final Map<String, Param> params;
    private final int[] inputShape;
    private final int classes;
    private final String inputName;
    private String tail = "";
    private String inputAlias;
    private Qat qat;

    private TrainableModel(OnnxModel model, List<Layer> layers, Map<String, Param> params, int[] inputShape,
                           int classes, String inputName) {
        this.model = model;
        this.layers = layers;
        this.params = params;
        this.inputShape = inputShape;
        this.classes = classes;
        this.inputName = inputName;
    }

    /** Thrown for a graph this trainer cannot differentiate; the message names the node. */
    public static final class UnsupportedGraphException extends Exception {
        public UnsupportedGraphException(String message) {
            super(message);
        }
    }

    public static TrainableModel of(OnnxModel source, EnginePool pool, long seed) throws UnsupportedGraphException {
        OnnxModel m = GraphPrep.normalize(source);
        Graph g = m.graph();
        List<ValueInfo> feeds = g.feedInputs();
        if (feeds.size() != 1) {
            throw new UnsupportedGraphException("training takes a model with one input; this one has " + feeds.size());
        }
        ValueInfo in = feeds.get(0);
        List<Dim> dims = in.type().shape();
        if (dims == null || dims.size() < 2 || in.type().elementType() != DataType.FLOAT) {
            throw new UnsupportedGraphException("input '" + in.name() + "' must be float32 with a batch dimension, is "
                    + in.type());
        }
        int[] sample = new int[dims.size() - 1];
        for (int i = 1; i < dims.size(); i++) {
            Dim d = dims.get(i);
            if (d.param() != null || d.value() < 1) {
                throw new UnsupportedGraphException("input '" + in.name() + "' needs fixed non-batch dimensions, is " + in.type());
            }
            sample[i - 1] = (int) d.value();
        }
        Map<String, Tensor> inits = new LinkedHashMap<>();
        g.initializers().forEach(t -> inits.put(t.name(), t));
        Map<String, Param> params = new LinkedHashMap<>();
        List<Layer> layers = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        String inputAlias = in.name();
        String current = in.name();
        int[] shape = sample;
        String output = g.outputs().get(0).name();
        for (Node n : g.nodes()) {
            List<String> data = n.inputs().stream().filter(x -> !x.isEmpty() && !inits.containsKey(x)).toList();
            if (data.size() != 1 || !data.get(0).equals(current)) {
                throw new UnsupportedGraphException("node " + label(n) + " (" + n.opType() + ") does not continue a single "
                        + "chain from the input (it reads " + data + "); graphs with branches are not trainable here yet");
            }
            if (current.equals(output)) break;
            Layer l = layer(n, inits, params, shape, pool, seed + layers.size());
            current = n.outputs().get(0);
            if (l != null) {
                shape = l.outShape(shape);
                layers.add(l);
                outputs.add(current);
            } else if (!outputs.isEmpty()) {
                outputs.set(outputs.size() - 1, current); // Identity, Softmax: the same values under a new name
            } else {
                inputAlias = current;
            }
            if (current.equals(output)) break;
        }
        if (!current.equals(output)) {
            throw new UnsupportedGraphException("the chain from the input does not reach the output '" + output + "'");
        }
        if (shape.length != 1 || shape[0] < 2) {
            throw new UnsupportedGraphException("the output must be class scores [batch, classes], is " + Arrays.toString(shape));
        }
        TrainableModel t = new TrainableModel(m, List.copyOf(layers), params, sample, shape[0], in.name());
        t.layerOutputs = List.copyOf(outputs);
        t.inputAlias = inputAlias;
        Node last = g.nodes().stream().filter(n -> n.outputs().contains(output)).findFirst().orElse(null);
        if (last != null && (last.opType().equals("Softmax") || last.opType().equals("LogSoftmax"))) t.tail = last.opType();
        return t;
    }

    private static String label(Node n) {
        return n.name().isEmpty() ? n.opType() : n.name();
    }

    private static Param param(String name, Map<String, Tensor> inits, Map<String, Param> params, String node)
            throws UnsupportedGraphException {
        Param p = params.get(name);
        if (p != null) {
            throw new UnsupportedGraphException("weight '" + name + "' is shared by several nodes (" + node + ")");
        }
        Tensor t = inits.get(name);
        if (t == null || t.dataType() != DataType.FLOAT) {
            throw new UnsupportedGraphException("node " + node + ": weight '" + name + "' must be a float32 initializer");
        }
        int[] shape = Arrays.stream(t.dims()).mapToInt(Math::toIntExact).toArray();
        p = new Param(name, shape, t.toFloats());
        params.put(name, p);
        return p;
    }

    private static int[] ints(Node n, String attr, int[] fallback) {
        return n.attribute(attr).map(a -> Arrays.stream(a.asLongs()).mapToInt(Math::toIntExact).toArray()).orElse(fallback);
    }

    private static Layer layer(Node n, Map<String, Tensor> inits, Map<String, Param> params, int[] shape, EnginePool pool,
                               long seed) throws UnsupportedGraphException {
        String id = label(n);
        switch (n.opType()) {
            case "Gemm" -> {
                if (n.attribute("transA").map(Attribute::asLong).orElse(0L) != 0
                        || n.attribute("alpha").map(Attribute::asFloat).orElse(1f) != 1f
                        || n.attribute("beta").map(Attribute::asFloat).orElse(1f) != 1f) {
                    throw new UnsupportedGraphException("node " + id + ": Gemm with transA, alpha or beta is not trainable here yet");
                }
                Param w = param(n.inputs().get(1), inits, params, id);
                Param b = n.inputs().size() > 2 && !n.inputs().get(2).isEmpty() ? param(n.inputs().get(2), inits, params, id) : null;
                if (b != null && b.size() != (n.attribute("transB").map(Attribute::asLong).orElse(0L) != 0 ? w.shape[0] : w.shape[1])) {
                    throw new UnsupportedGraphException("node " + id + ": bias " + Arrays.toString(b.shape) + " is not one per output");
                }
                boolean transB = n.attribute("transB").map(Attribute::asLong).orElse(0L) != 0;
                w.outAxis = transB ? 0 : 1;
                return new Layers.Gemm(id, w, b, transB, pool);
            }
            case "MatMul" -> {
                Param w = param(n.inputs().get(1), inits, params, id);
                if (w.shape.length != 2) throw new UnsupportedGraphException("node " + id + ": MatMul weight must be 2-D");
                w.outAxis = 1;
                return new Layers.Gemm(id, w, null, false, pool);
            }
            case "Add" -> {
                String p = n.inputs().stream().filter(inits::containsKey).findFirst().orElseThrow();
                return new Layers.BiasAdd(id, param(p, inits, params, id));
            }
            case "Relu" -> {
                return new Layers.Relu(id);
            }
            case "Flatten" -> {
                if (n.attribute("axis").map(Attribute::asLong).orElse(1L) != 1) {
                    throw new UnsupportedGraphException("node " + id + ": Flatten with an axis other than 1 is not trainable here yet");
                }
                return new Layers.Reshape(id, null);
            }
            case "Reshape" -> {
                Tensor t = inits.get(n.inputs().get(1));
                long[] target = t == null ? null : Arrays.stream(t.toDoubles()).mapToLong(v -> (long) v).toArray();
                if (target == null || target.length < 1 || target[0] != -1 && target[0] != 0 && target[0] != 1) {
                    throw new UnsupportedGraphException("node " + id + ": Reshape must keep the batch dimension first");
                }
                int[] per = new int[target.length - 1];
                for (int i = 1; i < target.length; i++) per[i - 1] = target[i] == 0 ? shape[i - 1] : (int) target[i];
                return new Layers.Reshape(id, per);
            }
            case "Dropout", "Identity" -> {
                double ratio = n.attribute("ratio").map(a -> (double) a.asFloat()).orElse(0.5);
                if (n.opType().equals("Dropout") && n.inputs().size() > 1 && inits.containsKey(n.inputs().get(1))) {
                    ratio = inits.get(n.inputs().get(1)).toFloats()[0];
                }
                return n.opType().equals("Identity") ? null : new Layers.Dropout(id, ratio, seed);
            }
            case "Conv" -> {
                Param w = param(n.inputs().get(1), inits, params, id);
                if (w.shape.length != 4) throw new UnsupportedGraphException("node " + id + ": only 2-D convolutions are trainable here yet");
                Param b = n.inputs().size() > 2 && !n.inputs().get(2).isEmpty() ? param(n.inputs().get(2), inits, params, id) : null;
                if (n.attribute("auto_pad").map(Attribute::asString).filter(s -> !s.equals("NOTSET")).isPresent()) {
                    throw new UnsupportedGraphException("node " + id + ": auto_pad is not trainable here yet");
                }
                return new Layers.Conv(id, w, b, Math.toIntExact(n.attribute("group").map(Attribute::asLong).orElse(1L)),
                        ints(n, "strides", new int[] {1, 1}), ints(n, "pads", new int[4]), ints(n, "dilations", new int[] {1, 1}), pool);
            }
            case "MaxPool" -> {
                if (n.outputs().size() > 1 || n.attribute("ceil_mode").map(Attribute::asLong).orElse(0L) != 0) {
                    throw new UnsupportedGraphException("node " + id + ": MaxPool with indices or ceil_mode is not trainable here yet");
                }
                int[] k = ints(n, "kernel_shape", null);
                return new Layers.MaxPool(id, k, ints(n, "strides", new int[] {1, 1}), ints(n, "pads", new int[4]));
            }
            case "GlobalAveragePool" -> {
                return new Layers.GlobalAveragePool(id);
            }
            case "Softmax", "LogSoftmax" -> {
                return null; // the loss is taken on the logits; the node stays in the written model
            }
            default -> throw new UnsupportedGraphException("node " + id + ": " + n.opType() + " has no backward pass here yet");
        }
    }

    public int[] inputShape() {
        return inputShape.clone();
    }

    public int classes() {
        return classes;
    }

    public String inputName() {
        return inputName;
    }

    /** The trainable tensors, in graph order. */
    public List<Param> params() {
        return List.copyOf(params.values());
    }

    /**
     * Turns on quantization-aware training for static INT8 with these options: a fake-quant step on every tensor
     * where the quantizer puts a Q/DQ pair (its own plan) and int8-rounded weights in every forward pass (see
     * {@link Qat}). Ranges are unset until {@link #calibrateQat} runs.
     */
    public Qat enableQat(org.polaris.workbench.engine.quant.QuantOptions options) {
        if (qat != null) throw new IllegalStateException("quantization-aware training is already on");
        Qat q = new Qat(options);
        // the quantizer's own plan: a Q/DQ pair on each of these tensors, pass-through outputs sharing their input's
        QdqQuantizer.Plan plan = new QdqQuantizer().plan(model, options);
        java.util.Set<String> roots = new java.util.LinkedHashSet<>();
        for (String t : plan.tensors()) roots.add(plan.sharedWith().getOrDefault(t, t));
        List<Layer> with = new ArrayList<>();
        if (roots.contains(inputName) || roots.contains(inputAlias)) with.add(q.point(inputName));
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            if (l instanceof Layers.Gemm g) {
                q.weight(g.w, g.transB ? 0 : 1);
            } else if (l instanceof Layers.Conv c) {
                q.weight(c.w, 0);
            }
            with.add(l);
            if (roots.contains(layerOutputs.get(i))) with.add(q.point(layerOutputs.get(i)));
        }
        layers = List.copyOf(with);
        q.active(true);
        qat = q;
        return q;
    }

    /** The quantization-aware training state, or null. */
    public Qat qat() {
        return qat;
    }

    /** Re-estimates the fake-quant ranges from the float model on the first {@code samples} of {@code d}. */
    public void calibrateQat(TrainData d, int samples) {
        if (qat == null) return;
        int n = Math.min(samples, d.count());
        qat.calibrate(this, Arrays.copyOfRange(d.x(), 0, n * d.perSample()), n, 64);
    }

    /** Class scores (logits) of a batch of samples (as the INT8 model would compute them under QAT). */
    public float[] forward(float[] x, int batch, boolean training) {
        float[][] saved = qat == null ? null : qat.roundWeights();
        try {
            return pass(x, batch, training);
        } finally {
            if (saved != null) qat.restore(saved);
        }
    }

    private float[] pass(float[] x, int batch, boolean training) {
        float[] a = x;
        for (Layer l : layers) a = l.forward(a, batch, training);
        return a;
    }

    /** Before each epoch (reseeds what draws random numbers). */
    void startEpoch(int epoch) {
        layers.forEach(l -> l.startEpoch(epoch));
    }

    /**
     * What the written float model outputs: the logits (without fake quantization), through its final Softmax or
     * LogSoftmax when it has one.
     */
    public float[] outputs(float[] x, int batch) {
        boolean on = qat != null && qat.active();
        if (on) qat.active(false);
        float[] y;
        try {
            y = forward(x, batch, false);
        } finally {
            if (on) qat.active(true);
        }
        if (tail.isEmpty()) return y;
        float[] out = new float[y.length];
        for (int i = 0; i < batch; i++) {
            int o = i * classes;
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) max = Math.max(max, y[o + c]);
            double sum = 0;
            for (int c = 0; c < classes; c++) sum += Math.exp(y[o + c] - max);
            for (int c = 0; c < classes; c++) {
                double logp = y[o + c] - max - Math.log(sum);
                out[o + c] = (float) (tail.equals("LogSoftmax") ? logp : Math.exp(logp));
            }
        }
        return out;
    }

    /**
     * One training pass: forward, mean softmax cross-entropy over the batch, backward (gradients accumulate into
     * {@link Param}s, masked weights get none). Returns the loss and fills {@code correct[0]} with the hits.
     */
    public double lossAndGradients(float[] x, int[] labels, int batch, int[] correct) {
        double loss = lossAndDenseGradients(x, labels, batch, correct);
        maskGradients();
        return loss;
    }

    /** As {@link #lossAndGradients}, leaving masked weights' gradients in place (RigL's regrowth reads them). */
    double lossAndDenseGradients(float[] x, int[] labels, int batch, int[] correct) {
        // under QAT the weights stay rounded through backward (its input gradients use them); the float values,
        // restored after, take the gradient unchanged: the straight-through estimator
        float[][] saved = qat == null ? null : qat.roundWeights();
        try {
            float[] logits = pass(x, batch, true);
            float[] dy = new float[logits.length];
            double loss = Losses.softmaxCrossEntropy(logits, labels, batch, classes, dy, correct);
            float[] g = dy;
            for (int i = layers.size() - 1; i >= 0; i--) g = layers.get(i).backward(g, batch);
            return loss;
        } finally {
            if (saved != null) qat.restore(saved);
        }
    }

    void maskGradients() {
        for (Param p : params.values()) p.maskGrad();
    }

    public void zeroGrad() {
        params.values().forEach(Param::zeroGrad);
    }

    /** The source model with the trained values as its initializers (same inputs and outputs). */
    public OnnxModel toOnnx() {
        Graph g = model.graph();
        List<Tensor> inits = new ArrayList<>();
        for (Tensor t : g.initializers()) {
            Param p = params.get(t.name());
            inits.add(p == null ? t : Tensor.ofFloats(t.name(), t.dims(), p.value.clone()));
        }
        return model.withGraph(g.withInitializers(inits, Set.of()));
    }
}
