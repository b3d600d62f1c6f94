package org.polaris.workbench.engine.quant;

import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.Graph;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.quant.RangeEstimator.Range;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes INT8 QDQ graphs that ONNX Runtime fuses into integer kernels: weights as int8 initializers behind
 * {@code DequantizeLinear} (per channel on the right axis), int32 biases with scale {@code s_x * s_w}, and one
 * {@code QuantizeLinear}/{@code DequantizeLinear} pair on each activation that feeds or leaves a quantizable op.
 * Where an op is followed by its only consumer Relu or Clip, the pair goes after the activation, never between:
 * ONNX Runtime then drops the activation into the quantized range and fuses the op. Pass-through ops (MaxPool,
 * Reshape, Flatten, ...) share their input's parameters so their Q/DQ pairs cancel out.
 */
public final class QdqQuantizer {

    static final Set<String> WEIGHTED = Set.of("Conv", "Gemm", "MatMul");
    private static final Set<String> ACTIVATION_OPS = Set.of("Conv", "Gemm", "MatMul", "Add", "GlobalAveragePool",
            "AveragePool");
    private static final Set<String> PASS_THROUGH = Set.of("MaxPool", "Reshape", "Flatten", "Transpose", "Squeeze",
            "Unsqueeze");

    /** Activation tensors to calibrate, and which pass-through outputs reuse their input's parameters. */
    public record Plan(List<String> tensors, Map<String, String> sharedWith) {
    }

    /** The quantized model and what happened to each layer. */
    public record Result(OnnxModel model, List<LayerReport> layers) {
    }

    public Plan plan(OnnxModel model, QuantOptions o) {
        GraphIndex gi = new GraphIndex(model.graph());
        Set<String> points = new LinkedHashSet<>();
        if (o.mode() == QuantOptions.Mode.STATIC) {
            for (int i = 0; i < gi.graph.nodes().size(); i++) {
                Node n = gi.node(i);
                if (!quantizable(gi, i, o)) {
                    continue;
                }
                for (int idx : activationInputs(gi, n)) {
                    points.add(n.inputs().get(idx));
                }
                String out = outputPoint(gi, i);
                if (out != null && feedsQuantized(gi, out, o, 0)) {
                    points.add(out);
                }
            }
        }
        // Pass-through ops inherit their input's parameters, and chains of them (MaxPool -> Flatten -> Gemm) stay
        // quantized end to end, so ONNX Runtime can drop every Q/DQ pair in between.
        Map<String, String> shared = new LinkedHashMap<>();
        for (Node n : gi.graph.nodes()) {
            if (!PASS_THROUGH.contains(n.opType()) || !GraphIndex.isDefaultDomain(n) || n.inputs().isEmpty()
                    || !points.contains(n.inputs().get(0))) {
                continue;
            }
            String out = n.outputs().get(0);
            boolean feedsQuantized = gi.consumersOf(out).stream().map(gi::node)
                    .anyMatch(c -> PASS_THROUGH.contains(c.opType()) || ACTIVATION_OPS.contains(c.opType()));
            if (points.contains(out) || feedsQuantized) {
                points.add(out);
                shared.put(out, shared.getOrDefault(n.inputs().get(0), n.inputs().get(0)));
            }
        }
        return new Plan(List.copyOf(points), shared);
    }

    /**
     * Convolutions this plan quantizes that read at most {@value #FEW_CHANNELS} input channels (group 1): image
     * stems. ONNX Runtime's 8-bit convolution handles so few input channels poorly and can be several times slower
     * than its float kernel there, so {@link QuantizeService} times these both ways.
     */
    public static List<String> fewChannelConvs(OnnxModel model, QuantOptions o) {
        GraphIndex gi = new GraphIndex(model.graph());
        List<String> out = new ArrayList<>();
        for (int i = 0; i < gi.graph.nodes().size(); i++) {
            Node n = gi.node(i);
            if (!n.opType().equals("Conv") || !quantizable(gi, i, o)
                    || n.attribute("group").map(Attribute::asLong).orElse(1L) != 1) {
                continue;
            }
            Tensor w = gi.inits.get(n.inputs().get(1));
            if (w != null && w.rank() >= 3 && w.dims()[1] <= FEW_CHANNELS) {
                out.add(gi.label(i));
            }
        }
        return out;
    }

    static final int FEW_CHANNELS = 4;

    private static boolean quantizable(GraphIndex gi, int i, QuantOptions o) {
        Node n = gi.node(i);
        if (!GraphIndex.isDefaultDomain(n) || !ACTIVATION_OPS.contains(n.opType()) || gi.excluded(i, o.exclude())
                || gi.excluded(i, o.weightOnly())) {
            return false;
        }
        for (int k : activationInputs(gi, n)) {
            if (!gi.isFloat(n.inputs().get(k))) {
                return false; // e.g. a detector's anchor arithmetic in int64
            }
        }
        return switch (n.opType()) {
            case "Conv" -> n.inputs().size() >= 2 && gi.isInit(n.inputs().get(1));
            case "Gemm" -> n.inputs().size() >= 2 && gi.isInit(n.inputs().get(1))
                    && n.attribute("transA").map(Attribute::asLong).orElse(0L) == 0;
            case "Add" -> n.inputs().size() == 2 && !gi.isInit(n.inputs().get(0)) && !gi.isInit(n.inputs().get(1));
            default -> true;
        };
    }

    private static List<Integer> activationInputs(GraphIndex gi, Node n) {
        List<Integer> idx = new ArrayList<>();
        int limit = switch (n.opType()) {
            case "MatMul", "Add" -> 2;
            default -> 1;
        };
        for (int k = 0; k < Math.min(limit, n.inputs().size()); k++) {
            String t = n.inputs().get(k);
            if (!t.isEmpty() && !gi.isInit(t)) {
                idx.add(k);
            }
        }
        return idx;
    }

    /**
     * Whether a tensor reaches a quantized op, directly or through pass-through ops. Outputs that only feed float
     * ops (logits into Softmax) stay float: quantizing them costs accuracy and buys no fused kernel.
     */
    private static boolean feedsQuantized(GraphIndex gi, String tensor, QuantOptions o, int depth) {
        for (int c : gi.consumersOf(tensor)) {
            Node n = gi.node(c);
            if (quantizable(gi, c, o)) {
                return true;
            }
            if (depth < 8 && PASS_THROUGH.contains(n.opType()) && GraphIndex.isDefaultDomain(n)
                    && feedsQuantized(gi, n.outputs().get(0), o, depth + 1)) {
                return true;
            }
        }
        return false;
    }

    /** Where the output of node {@code i} is quantized: after its sole Relu/Clip consumer if it has one. */
    private static String outputPoint(GraphIndex gi, int i) {
        String out = gi.node(i).outputs().get(0);
        List<Integer> cons = gi.consumersOf(out);
        if (cons.isEmpty()) {
            return null;
        }
        if (cons.size() == 1 && !gi.graphOutputs.contains(out)) {
            Node c = gi.node(cons.get(0));
            boolean act = GraphIndex.isDefaultDomain(c) && (c.opType().equals("Relu") || c.opType().equals("Clip"));
            if (act && c.inputs().get(0).equals(out) && c.inputs().stream().skip(1).allMatch(x -> x.isEmpty() || gi.isInit(x))) {
                String after = c.outputs().get(0);
                return gi.consumersOf(after).isEmpty() ? null : after;
            }
        }
        return out;
    }

    /** Applies the plan: static QDQ when {@code ranges} are given, weight-only INT8 otherwise. */
    public Result quantize(OnnxModel model, QuantOptions o, Plan plan, Map<String, Range> ranges) {
        GraphIndex gi = new GraphIndex(model.graph());
        // DequantizeLinear needs opset 10 (13 for per-channel scales): older weight-only models get Cast and Mul
        boolean castMul = o.mode() == QuantOptions.Mode.WEIGHT_ONLY && model.defaultOpset() < 13;
        Map<String, QuantMath.Params> act = activationParams(plan, ranges, o);
        List<Node> nodes = new ArrayList<>();
        List<Tensor> newInits = new ArrayList<>();
        Map<String, String> dq = new HashMap<>();
        for (String t : act.keySet()) {
            dq.put(t, gi.fresh(t + "_dq"));
        }
        Set<String> inputsDone = new HashSet<>();
        for (var in : model.graph().feedInputs()) {
            if (act.containsKey(in.name())) {
                emitQdq(gi, in.name(), act.get(in.name()), o, dq, nodes, newInits);
                inputsDone.add(in.name());
            }
        }
        List<LayerReport> layers = new ArrayList<>();
        Map<Integer, Integer> swapped = reluPoolSwaps(gi, act);
        Set<Integer> movedRelus = new HashSet<>(swapped.values());
        for (int i = 0; i < gi.graph.nodes().size(); i++) {
            Node n = gi.node(i);
            if (movedRelus.contains(i)) {
                continue; // this Relu is written after its MaxPool, below
            }
            Integer relu = swapped.get(i);
            if (relu != null) {
                Node r = gi.node(relu);
                String pooled = gi.fresh(n.outputs().get(0) + "_pooled");
                nodes.add(new Node(n.name(), n.opType(), n.domain(), List.of(r.inputs().get(0)), List.of(pooled),
                        n.attributes(), n.docString()));
                nodes.add(new Node(r.name(), r.opType(), r.domain(), List.of(pooled), n.outputs(), r.attributes(),
                        r.docString()));
                emitQdq(gi, n.outputs().get(0), act.get(n.outputs().get(0)), o, dq, nodes, newInits);
                continue;
            }
            List<String> ins = new ArrayList<>(n.inputs());
            for (int k = 0; k < ins.size(); k++) {
                String d = dq.get(ins.get(k));
                if (d != null) {
                    ins.set(k, d);
                }
            }
            if (gi.hasConstantWeight(i)) {
                layers.add(quantizeWeight(gi, i, ins, o, act, nodes, newInits, castMul));
            }
            nodes.add(new Node(n.name(), n.opType(), n.domain(), ins, n.outputs(), n.attributes(), n.docString()));
            for (String out : n.outputs()) {
                if (act.containsKey(out) && !inputsDone.contains(out)) {
                    emitQdq(gi, out, act.get(out), o, dq, nodes, newInits);
                }
            }
        }
        return new Result(rebuild(model, nodes, newInits), layers);
    }

    /**
     * Float {@code Relu -> MaxPool} pairs whose pooled output is quantized (the float stem ahead of the first
     * quantized layer), to be written as {@code MaxPool -> Relu}: the same values (max commutes with a monotone
     * function), but the QuantizeLinear then follows the Relu, which ONNX Runtime folds into it, instead of the
     * MaxPool, which its optimizer would move the QuantizeLinear in front of, leaving an 8-bit MaxPool in NCHW
     * that runs several times slower than the float one it fuses into the convolution's NCHWc layout.
     *
     * @return MaxPool node index to Relu node index
     */
    private static Map<Integer, Integer> reluPoolSwaps(GraphIndex gi, Map<String, QuantMath.Params> act) {
        Map<Integer, Integer> out = new HashMap<>();
        Map<String, Integer> producer = new HashMap<>();
        for (int i = 0; i < gi.graph.nodes().size(); i++) {
            for (String t : gi.node(i).outputs()) {
                producer.put(t, i);
            }
        }
        for (int i = 0; i < gi.graph.nodes().size(); i++) {
            Node m = gi.node(i);
            if (!m.opType().equals("MaxPool") || !GraphIndex.isDefaultDomain(m) || m.outputs().size() != 1
                    || m.inputs().size() != 1 || !act.containsKey(m.outputs().get(0))) {
                continue;
            }
            Integer r = producer.get(m.inputs().get(0));
            if (r == null || r >= i) {
                continue;
            }
            Node relu = gi.node(r);
            String x = relu.inputs().isEmpty() ? "" : relu.inputs().get(0);
            if (relu.opType().equals("Relu") && GraphIndex.isDefaultDomain(relu) && relu.outputs().size() == 1
                    && gi.consumersOf(relu.outputs().get(0)).size() == 1
                    && !gi.graphOutputs.contains(relu.outputs().get(0))
                    && !act.containsKey(relu.outputs().get(0)) && !act.containsKey(x)) {
                out.put(i, r);
            }
        }
        return out;
    }

    private static Map<String, QuantMath.Params> activationParams(Plan plan, Map<String, Range> ranges, QuantOptions o) {
        Map<String, QuantMath.Params> out = new LinkedHashMap<>();
        if (ranges == null) {
            return out;
        }
        for (String t : plan.tensors()) {
            Range r = ranges.get(plan.sharedWith().getOrDefault(t, t));
            if (r == null) {
                continue;
            }
            out.put(t, o.symmetricActivations()
                    ? QuantMath.symmetric(Math.max(Math.abs(r.min()), Math.abs(r.max())), o.activationType())
                    : QuantMath.asymmetric(r.min(), r.max(), o.activationType()));
        }
        return out;
    }

    private static void emitQdq(GraphIndex gi, String t, QuantMath.Params p, QuantOptions o, Map<String, String> dq,
                                List<Node> nodes, List<Tensor> inits) {
        String scale = gi.fresh(t + "_scale");
        String zp = gi.fresh(t + "_zp");
        String q = gi.fresh(t + "_q");
        inits.add(Tensor.ofFloats(scale, new long[0], new float[] {p.scale()}));
        inits.add(new Tensor(zp, o.activationType().dataType(), new long[0], new byte[] {(byte) p.zeroPoint()},
                List.of(), null, ""));
        // Q/DQ nodes stay unnamed: names are optional and would add kilobytes to small models.
        nodes.add(new Node("", "QuantizeLinear", "", List.of(t, scale, zp), List.of(q), List.of(), ""));
        nodes.add(new Node("", "DequantizeLinear", "", List.of(q, scale, zp), List.of(dq.get(t)), List.of(), ""));
    }

    private LayerReport quantizeWeight(GraphIndex gi, int i, List<String> ins, QuantOptions o,
                                       Map<String, QuantMath.Params> act, List<Node> nodes, List<Tensor> inits,
                                       boolean castMul) {
        Node n = gi.node(i);
        String label = gi.label(i);
        Tensor w = gi.inits.get(ins.get(1));
        String excludedNote = gi.excluded(i, o.exclude()) ? "excluded by user" : null;
        if (excludedNote != null || w.dataType() != org.polaris.workbench.engine.model.DataType.FLOAT) {
            return new LayerReport(label, n.opType(), w.name(), n.inputs().get(0), 32, false, Double.NaN, Double.NaN, Double.NaN,
                    Double.NaN, Double.NaN, excludedNote != null ? excludedNote : "weight is " + w.dataType() + ", kept");
        }
        int axis = o.perChannel() ? channelAxis(n, w) : -1;
        float[] values = w.toFloats();
        QuantizedTensor qw = WeightQuantizer.perChannel(values, w.dims(), axis, IntType.INT8,
                o.mode() == QuantOptions.Mode.STATIC || o.symmetricWeights());
        String base = gi.fresh(w.name() + "_q");
        ins.set(1, castMul ? emitWeightCastMul(gi, qw, base, axis, nodes, inits)
                : emitWeightDq(gi, qw, base, axis >= 0, nodes, inits));
        String input = n.inputs().get(0);
        QuantMath.Params x = act.get(input);
        boolean biasDone = false;
        if (x != null && ins.size() >= 3 && gi.isInit(ins.get(2)) && !n.opType().equals("MatMul")) {
            Tensor b = gi.inits.get(ins.get(2));
            boolean unitBeta = n.attribute("beta").map(Attribute::asFloat).orElse(1f) == 1f;
            if (b.dataType() == org.polaris.workbench.engine.model.DataType.FLOAT && b.rank() == 1 && unitBeta
                    && (qw.scales().length == 1 || b.elementCount() == qw.scales().length)) {
                QuantizedTensor qb = WeightQuantizer.bias(b.toFloats(), x.scale(), qw.scales());
                ins.set(2, emitWeightDq(gi, qb, gi.fresh(b.name() + "_q"), true, nodes, inits));
                biasDone = true;
            }
        }
        double[] range = rangeOf(x, o);
        return new LayerReport(label, n.opType(), w.name(), n.inputs().get(0), 8, axis >= 0, QuantMath.sqnrDb(values, qw.dequantized()),
                QuantMath.cosine(values, qw.dequantized()), QuantMath.maxAbsError(values, qw.dequantized()),
                range[0], range[1], o.mode() == QuantOptions.Mode.STATIC && !gi.excluded(i, o.weightOnly())
                ? (x == null ? "weights only: input not quantized" : biasDone ? "" : "bias kept in float")
                : "weight-only");
    }

    private static double[] rangeOf(QuantMath.Params p, QuantOptions o) {
        if (p == null) {
            return new double[] {Double.NaN, Double.NaN};
        }
        IntType t = o.activationType();
        return new double[] {QuantMath.dequantize(t.min(), p.scale(), p.zeroPoint()),
                QuantMath.dequantize(t.max(), p.scale(), p.zeroPoint())};
    }

    /** Output-channel axis of a weight: 0 for Conv and for Gemm with transB, the last axis for MatMul and Gemm. */
    static int channelAxis(Node n, Tensor w) {
        return switch (n.opType()) {
            case "Conv" -> 0;
            case "Gemm" -> n.attribute("transB").map(Attribute::asLong).orElse(0L) == 1 ? 0 : 1;
            default -> w.rank() - 1;
        };
    }

    static String emitWeightDq(GraphIndex gi, QuantizedTensor q, String base, boolean withAxis, List<Node> nodes,
                               List<Tensor> inits) {
        String scale = gi.fresh(base + "_scale");
        String out = gi.fresh(base + "_dq");
        inits.add(q.codesTensor(base));
        inits.add(q.scaleTensor(scale));
        List<String> ins = new ArrayList<>(List.of(base, scale));
        // An int32 bias's all-zero zero point is the default, so it is left out (4 bytes a channel). Weights keep
        // theirs: ONNX Runtime's QGemm fusion does not match a weight DequantizeLinear without one.
        if (q.type() != IntType.INT32 || java.util.Arrays.stream(q.zeroPoints()).anyMatch(z -> z != 0)) {
            String zp = gi.fresh(base + "_zp");
            inits.add(q.zeroPointTensor(zp));
            ins.add(zp);
        }
        List<Attribute> attrs = withAxis && q.scaleDims().length > 0 ? List.of(Attribute.ofInt("axis", q.axis())) : List.of();
        nodes.add(new Node("", "DequantizeLinear", "", ins, List.of(out), attrs, ""));
        return out;
    }

    /**
     * The weight as int8 codes dequantized by {@code (Cast(codes) - zero point) * scale} with numpy broadcasting
     * (scales shaped {@code [C,1,...]} along {@code axis}): what opset 7 to 12 models get instead of a per-channel
     * DequantizeLinear. ONNX Runtime folds it into a float weight at load, as it does a weight DequantizeLinear.
     */
    static String emitWeightCastMul(GraphIndex gi, QuantizedTensor q, String base, int axis, List<Node> nodes,
                                    List<Tensor> inits) {
        long[] shape = new long[axis < 0 ? 0 : q.dims().length];
        java.util.Arrays.fill(shape, 1);
        if (axis >= 0) {
            shape[axis] = q.scales().length;
        }
        String scale = gi.fresh(base + "_scale");
        String cast = gi.fresh(base + "_float");
        String out = gi.fresh(base + "_dq");
        inits.add(q.codesTensor(base));
        inits.add(Tensor.ofFloats(scale, shape, q.scales()));
        nodes.add(new Node("", "Cast", "", List.of(base), List.of(cast),
                List.of(Attribute.ofInt("to", org.polaris.workbench.engine.model.DataType.FLOAT.code())), ""));
        String scaled = cast;
        if (java.util.Arrays.stream(q.zeroPoints()).anyMatch(z -> z != 0)) {
            String zp = gi.fresh(base + "_zp");
            float[] zps = new float[q.zeroPoints().length];
            for (int k = 0; k < zps.length; k++) zps[k] = q.zeroPoints()[k];
            inits.add(Tensor.ofFloats(zp, shape, zps));
            scaled = gi.fresh(base + "_centered");
            nodes.add(new Node("", "Sub", "", List.of(cast, zp), List.of(scaled), List.of(), ""));
        }
        nodes.add(new Node("", "Mul", "", List.of(scaled, scale), List.of(out), List.of(), ""));
        return out;
    }

    /** Replaces the node list, adds new initializers and drops the ones nothing references any more. */
    static OnnxModel rebuild(OnnxModel model, List<Node> nodes, List<Tensor> added) {
        Set<String> used = new HashSet<>();
        for (Node n : nodes) {
            used.addAll(n.inputs());
            for (Attribute a : n.attributes()) {
                a.subgraphs().forEach(sg -> collectInputs(sg, used));
            }
        }
        model.graph().outputs().forEach(v -> used.add(v.name()));
        List<Tensor> inits = new ArrayList<>();
        for (Tensor t : model.graph().initializers()) {
            if (used.contains(t.name())) {
                inits.add(t);
            }
        }
        inits.addAll(added);
        Graph g = model.graph();
        return model.withGraph(new Graph(g.name(), nodes, g.inputs(), g.outputs(), List.of(), inits, g.docString(),
                g.encodedExtras()));
    }

    private static void collectInputs(Graph g, Set<String> used) {
        for (Node n : g.nodes()) {
            used.addAll(n.inputs());
            for (Attribute a : n.attributes()) {
                a.subgraphs().forEach(sg -> collectInputs(sg, used));
            }
        }
    }
}
