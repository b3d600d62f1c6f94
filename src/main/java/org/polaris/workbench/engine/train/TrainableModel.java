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
 * A trainable view of an ONNX classifier: its nodes, from the input to the logits, as differentiable steps over
 * the values they compute ({@link TrainGraph}: chains, residual additions, concatenated branches), whose parameters
 * are the model's float initializers (and weights kept in Constant nodes, which {@link GraphPrep#normalize} turns into
 * initializers). A final Softmax/LogSoftmax stays in the written model but the loss (softmax cross-entropy) is taken
 * on its input. Models with several inputs are refused; so are ops without a backward pass here, naming the node.
 */
public final class TrainableModel {

    private final OnnxModel model;
    private TrainGraph graph;
    /** The slot of each tensor the steps compute (several names for one slot after Identity or Dropout). */
    private Map<String, Integer> slotOf = Map.of();
    private final Map<String, Param> params;
    private final int[] inputShape;
    private final int classes;
    private final String inputName;
    private String tail = "";
    private Qat qat;

    private TrainableModel(OnnxModel model, TrainGraph graph, Map<String, Param> params, int[] inputShape,
                           int classes, String inputName) {
        this.model = model;
        this.graph = graph;
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
        return of(source, pool, seed, null);
    }

    /**
     * As {@link #of(OnnxModel, EnginePool, long)}, with the per-sample input shape for inputs whose non-batch
     * dimensions are symbolic (height and width left open at export): training fixes them to the data's.
     */
    public static TrainableModel of(OnnxModel source, EnginePool pool, long seed, int[] dataShape)
            throws UnsupportedGraphException {
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
            boolean fixed = d.param() == null && d.value() >= 1;
            if (dataShape != null && dataShape.length == sample.length) {
                if (fixed && d.value() != dataShape[i - 1]) {
                    throw new UnsupportedGraphException("input '" + in.name() + "' is " + in.type() + " but the data's samples are "
                            + Arrays.toString(dataShape));
                }
                sample[i - 1] = dataShape[i - 1];
            } else if (!fixed) {
                throw new UnsupportedGraphException("input '" + in.name() + "' needs fixed non-batch dimensions, is " + in.type());
            } else {
                sample[i - 1] = (int) d.value();
            }
        }
        Map<String, Tensor> inits = new LinkedHashMap<>();
        g.initializers().forEach(t -> inits.put(t.name(), t));
        Map<String, Param> params = new LinkedHashMap<>();
        Map<String, Integer> slotOf = new LinkedHashMap<>();
        List<int[]> shapes = new ArrayList<>();
        List<TrainGraph.Step> steps = new ArrayList<>();
        slotOf.put(in.name(), 0);
        shapes.add(sample);
        String output = g.outputs().get(0).name();
        String tail = "";
        for (Node n : g.nodes()) {
            if (slotOf.containsKey(output)) break;
            String id = LayerFactory.label(n);
            List<String> data = n.inputs().stream().filter(x -> !x.isEmpty() && !inits.containsKey(x)).toList();
            List<String> unknown = data.stream().filter(x -> !slotOf.containsKey(x)).toList();
            if (data.isEmpty() || !unknown.isEmpty()) {
                throw new UnsupportedGraphException("node " + id + " (" + n.opType() + ") reads " + (data.isEmpty()
                        ? "only constants" : unknown) + ", which training does not compute from the input");
            }
            int[] ins = data.stream().mapToInt(slotOf::get).toArray();
            String out = n.outputs().get(0);
            try {
                if (data.size() > 1) {
                    Ops.Join j = switch (n.opType()) {
                        case "Add" -> new Ops.Binary(id, Ops.Binary.Kind.ADD);
                        case "Sub" -> new Ops.Binary(id, Ops.Binary.Kind.SUB);
                        case "Mul" -> new Ops.Binary(id, Ops.Binary.Kind.MUL);
                        case "Concat" -> new Ops.Concat(id, concatAxis(n, shapes.get(ins[0]).length));
                        default -> throw new UnsupportedGraphException("node " + id + ": " + n.opType() + " of "
                                + data.size() + " activations has no backward pass here yet");
                    };
                    int[][] inShapes = Arrays.stream(ins).mapToObj(shapes::get).toArray(int[][]::new);
                    slotOf.put(out, shapes.size());
                    steps.add(new TrainGraph.Step(null, j, ins, shapes.size()));
                    shapes.add(j.outShape(inShapes));
                    continue;
                }
                if ((n.opType().equals("Softmax") || n.opType().equals("LogSoftmax")) && !out.equals(output)) {
                    throw new UnsupportedGraphException("node " + id + ": " + n.opType() + " inside the model has no backward "
                            + "pass here yet (only a final one, whose input the loss is taken on)");
                }
                Layer l = LayerFactory.layer(n, inits, params, shapes.get(ins[0]), pool, seed + steps.size());
                if (l == null) {
                    slotOf.put(out, ins[0]); // Identity, a final Softmax: the same values under a new name
                    if (out.equals(output)) tail = n.opType().equals("Identity") ? tail : n.opType();
                    continue;
                }
                slotOf.put(out, shapes.size());
                steps.add(new TrainGraph.Step(l, null, ins, shapes.size()));
                shapes.add(l.outShape(shapes.get(ins[0])));
            } catch (IllegalArgumentException e) {
                throw new UnsupportedGraphException(e.getMessage());
            }
        }
        Integer outSlot = slotOf.get(output);
        if (outSlot == null) {
            throw new UnsupportedGraphException("the steps from the input do not reach the output '" + output + "'");
        }
        int[] shape = shapes.get(outSlot);
        if (shape.length != 1 || shape[0] < 2) {
            throw new UnsupportedGraphException("the output must be class scores [batch, classes], is " + Arrays.toString(shape));
        }
        TrainableModel t = new TrainableModel(m, new TrainGraph(steps, shapes.size(), outSlot), params, sample, shape[0], in.name());
        t.slotOf = Map.copyOf(slotOf);
        t.tail = tail.equals("Dropout") ? "" : tail;
        return t;
    }

    private static int concatAxis(Node n, int rank) throws UnsupportedGraphException {
        long axis = n.attribute("axis").map(Attribute::asLong).orElse(1L);
        if (axis < 0) axis += rank + 1;
        if (axis < 1) throw new UnsupportedGraphException("node " + LayerFactory.label(n) + ": Concat along the batch axis");
        return (int) axis;
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
        for (TrainGraph.Step st : graph.steps()) {
            if (st.layer() instanceof Layers.Gemm gm) {
                q.weight(gm.w, gm.transB ? 0 : 1);
            } else if (st.layer() instanceof Layers.Conv c) {
                q.weight(c.w, 0);
            }
        }
        // a fake-quant step on each planned tensor's slot, in the order the slots are computed
        java.util.TreeMap<Integer, String> at = new java.util.TreeMap<>();
        for (String r : roots) {
            Integer slot = slotOf.get(r);
            if (slot != null) at.putIfAbsent(slot, r);
        }
        TrainGraph g = graph;
        for (Map.Entry<Integer, String> e : at.entrySet()) {
            g = g.insertAfter(e.getKey(), q.point(e.getKey() == 0 ? inputName : e.getValue()));
        }
        graph = g;
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
        return graph.forward(x, batch, training);
    }

    /** Before each epoch (reseeds what draws random numbers). */
    void startEpoch(int epoch) {
        graph.layers().forEach(l -> l.startEpoch(epoch));
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
            graph.backward(dy, batch);
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
