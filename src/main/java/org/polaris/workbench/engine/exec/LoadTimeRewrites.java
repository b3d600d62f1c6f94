package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Graph;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.Tensor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Engine-only graph rewrites at load time (never written to a file): the activation that follows a Conv/Gemm/MatMul
 * output is folded into that node (applied in place, saving an allocation and a pass over the tensor or two), and
 * constant Gemm weights used with transB are transposed once instead of on every run. Folded: a sole consumer Relu,
 * Clip with constant bounds, LeakyRelu, Sigmoid, HardSigmoid or HardSwish, and the pairs {@code Mul(y, Sigmoid(y))}
 * (SiLU, as EfficientNet and YOLO export it) and {@code Mul(y, HardSigmoid(y))} with alpha 1/6 and beta 1/2 (HardSwish,
 * as torchvision's MobileNetV3 exports it below opset 14).
 */
final class LoadTimeRewrites {

    /** Attribute names of the fused activation; they never collide with ONNX attribute names. */
    static final String ACTIVATION = "polaris.activation";
    static final String ACT_P = "polaris.act_p";
    static final String ACT_Q = "polaris.act_q";

    /** A folded activation: a {@link FloatMath.Unary} op with its attributes, applied in place to the node's output. */
    record Activation(FloatMath.Unary op, float p, float q) {

        /** The activation folded into {@code node}, or null. */
        static Activation of(Node node) {
            var act = node.attribute(ACTIVATION);
            if (act.isEmpty()) {
                return null;
            }
            return new Activation(FloatMath.Unary.valueOf(act.get().asString()),
                    node.attribute(ACT_P).map(Attribute::asFloat).orElse(0f),
                    node.attribute(ACT_Q).map(Attribute::asFloat).orElse(0f));
        }

        List<Attribute> attributes() {
            return List.of(new Attribute(ACTIVATION, Attribute.Type.STRING,
                            op.name().getBytes(java.nio.charset.StandardCharsets.UTF_8), "", ""),
                    Attribute.ofFloat(ACT_P, p), Attribute.ofFloat(ACT_Q, q));
        }
    }

    /** An activation found after a node's output: the nodes it replaces and the output the fused node takes over. */
    private record Fold(Activation act, List<Integer> nodes, List<String> outputs) {
    }

    private LoadTimeRewrites() {
    }

    static OnnxModel apply(OnnxModel model) {
        Graph g = model.graph();
        Map<String, Tensor> inits = new LinkedHashMap<>();
        g.initializers().forEach(t -> inits.put(t.name(), t));
        Set<String> outputs = new HashSet<>();
        g.outputs().forEach(v -> outputs.add(v.name()));
        Map<String, List<Integer>> consumers = new HashMap<>();
        for (int i = 0; i < g.nodes().size(); i++) {
            for (String in : g.nodes().get(i).inputs()) {
                consumers.computeIfAbsent(in, x -> new ArrayList<>()).add(i);
            }
        }
        // subgraphs (If/Loop bodies) may read any outer value: a name they use is never folded away
        Set<String> capturedBySubgraphs = new HashSet<>();
        for (Node n : g.nodes()) {
            for (Attribute a : n.attributes()) {
                a.subgraphs().forEach(sg -> capturedBySubgraphs.addAll(ControlFlow.freeNames(sg)));
            }
        }
        List<Node> nodes = new ArrayList<>(g.nodes());
        Set<Integer> removed = new HashSet<>();
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            if (removed.contains(i) || !n.domain().isEmpty()
                    || !(n.opType().equals("Conv") || n.opType().equals("Gemm") || n.opType().equals("MatMul"))) {
                continue;
            }
            List<Attribute> attrs = new ArrayList<>(n.attributes());
            List<String> ins = new ArrayList<>(n.inputs());
            if (n.opType().equals("Gemm") && n.attribute("transB").map(Attribute::asLong).orElse(0L) == 1
                    && ins.size() > 1 && inits.containsKey(ins.get(1)) && inits.get(ins.get(1)).dataType() == DataType.FLOAT) {
                Tensor b = inits.get(ins.get(1));
                long[] d = b.dims();
                String name = ins.get(1) + "#engine_transposed#" + i;
                inits.put(name, Tensor.ofFloats(name, new long[] {d[1], d[0]},
                        Gemm.transpose(b.toFloats(), (int) d[0], (int) d[1])));
                ins.set(1, name);
                attrs.removeIf(a -> a.name().equals("transB"));
            }
            List<String> outs = n.outputs();
            Fold fold = outs.size() == 1
                    ? foldable(nodes, outs.get(0), consumers, outputs, capturedBySubgraphs, removed, inits, model.defaultOpset())
                    : null;
            if (fold != null) {
                attrs.addAll(fold.act().attributes());
                outs = fold.outputs();
                removed.addAll(fold.nodes());
            }
            nodes.set(i, new Node(n.name(), n.opType(), n.domain(), ins, outs, attrs, n.docString()));
        }
        List<Node> kept = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            if (!removed.contains(i)) {
                kept.add(nodes.get(i));
            }
        }
        kept = fuseQdqConv(kept, inits, outputs);
        kept = foldConstantDequantize(kept, inits, outputs);
        return model.withGraph(new Graph(g.name(), kept, g.inputs(), g.outputs(), g.valueInfos(),
                new ArrayList<>(inits.values()), g.docString(), g.encodedExtras()));
    }

    /** Quantized-domain bounds of a fused activation on a QLinearConv (codes outside are clamped). */
    /**
     * The activation that reads {@code y} (a Conv/Gemm/MatMul output) and can be folded into its producer: the
     * value's only consumer, or a Sigmoid/HardSigmoid whose only consumer multiplies it by {@code y} again. Nothing
     * folds when a value it removes is a graph output or read by a subgraph.
     */
    private static Fold foldable(List<Node> nodes, String y, Map<String, List<Integer>> consumers, Set<String> graphOutputs,
                                 Set<String> captured, Set<Integer> removed, Map<String, Tensor> inits, long opset) {
        List<Integer> users = consumers.getOrDefault(y, List.of());
        if (graphOutputs.contains(y) || captured.contains(y) || users.isEmpty()
                || users.stream().anyMatch(removed::contains)) {
            return null;
        }
        if (users.size() == 1) {
            Node a = nodes.get(users.get(0));
            if (!a.domain().isEmpty() || a.inputs().isEmpty() || !a.inputs().get(0).equals(y) || a.outputs().size() != 1) {
                return null;
            }
            Activation act = switch (a.opType()) {
                case "Relu" -> new Activation(FloatMath.Unary.RELU, 0f, 0f);
                case "Sigmoid" -> new Activation(FloatMath.Unary.SIGMOID, 0f, 0f);
                case "HardSwish" -> new Activation(FloatMath.Unary.HARD_SWISH, 0f, 0f);
                case "HardSigmoid" -> new Activation(FloatMath.Unary.HARD_SIGMOID, Attrs.f(a, "alpha", 0.2f),
                        Attrs.f(a, "beta", 0.5f));
                case "LeakyRelu" -> new Activation(FloatMath.Unary.LEAKY_RELU, Attrs.f(a, "alpha", 0.01f), 0f);
                case "Clip" -> {
                    float[] range = clipRange(a, inits, opset);
                    yield range == null ? null : new Activation(FloatMath.Unary.CLIP, range[0], range[1]);
                }
                default -> null;
            };
            return act == null ? null : new Fold(act, List.of(users.get(0)), a.outputs());
        }
        if (users.size() != 2 || users.get(0).equals(users.get(1))) {
            return null;
        }
        for (int k = 0; k < 2; k++) {
            int si = users.get(k), mi = users.get(1 - k);
            Node s = nodes.get(si), m = nodes.get(mi);
            if (!s.domain().isEmpty() || !m.domain().isEmpty() || !m.opType().equals("Mul") || s.outputs().size() != 1
                    || m.inputs().size() != 2 || s.inputs().isEmpty() || !s.inputs().get(0).equals(y)) {
                continue;
            }
            String gate = s.outputs().get(0);
            boolean pair = (m.inputs().get(0).equals(y) && m.inputs().get(1).equals(gate))
                    || (m.inputs().get(1).equals(y) && m.inputs().get(0).equals(gate));
            if (!pair || graphOutputs.contains(gate) || captured.contains(gate)
                    || !consumers.getOrDefault(gate, List.of()).equals(List.of(mi)) || removed.contains(si)) {
                continue;
            }
            Activation act = null;
            if (s.opType().equals("Sigmoid")) {
                act = new Activation(FloatMath.Unary.SILU, 0f, 0f);
            } else if (s.opType().equals("HardSigmoid") && Attrs.f(s, "alpha", 0.2f) == 1f / 6f
                    && Attrs.f(s, "beta", 0.5f) == 0.5f) {
                act = new Activation(FloatMath.Unary.HARD_SWISH, 0f, 0f);
            }
            if (act != null) {
                return new Fold(act, List.of(si, mi), m.outputs());
            }
        }
        return null;
    }

    static final String QMIN = "polaris.qmin";
    static final String QMAX = "polaris.qmax";

    /**
     * QDQ convolutions and Linear layers run on integers, as ONNX Runtime runs them: DequantizeLinear(x_q) and
     * DequantizeLinear(w_q) into a Conv or Gemm (with a folded Relu/Clip) whose only consumer is a QuantizeLinear
     * become one QLinearConv or com.microsoft QGemm on the codes, int32-accumulated. A folded activation becomes a clamp of the output codes, exact
     * because quantization is monotonic. The int32 bias must carry the scale x_scale * w_scale, as ONNX requires of
     * QLinearConv; anything else (per-channel activations, float weights, a float value used elsewhere) stays as it is.
     */
    static List<Node> fuseQdqConv(List<Node> nodes, Map<String, Tensor> inits, Set<String> graphOutputs) {
        Map<String, Node> producer = new HashMap<>();
        Map<String, Integer> uses = new HashMap<>();
        for (Node n : nodes) {
            n.outputs().forEach(o -> producer.put(o, n));
            n.inputs().forEach(i -> uses.merge(i, 1, Integer::sum));
        }
        Map<String, Node> consumerOf = new HashMap<>();
        for (Node n : nodes) {
            n.inputs().forEach(i -> consumerOf.put(i, n));
        }
        Map<Node, Node> replace = new java.util.IdentityHashMap<>();
        Set<Node> drop = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Node conv : nodes) {
            boolean gemm = conv.opType().equals("Gemm");
            if (!(conv.opType().equals("Conv") || gemm) || !conv.domain().isEmpty() || conv.inputs().size() < 2) {
                continue;
            }
            if (gemm && (conv.attribute("transA").map(Attribute::asLong).orElse(0L) != 0
                    || conv.attribute("alpha").map(Attribute::asFloat).orElse(1f) != 1f
                    || conv.attribute("beta").map(Attribute::asFloat).orElse(1f) != 1f)) {
                continue;
            }
            // the weight's output-channel axis: Conv 0; Gemm 0 with transB, else 1
            long outAxis = gemm && conv.attribute("transB").map(Attribute::asLong).orElse(0L) == 0 ? 1 : 0;
            String y = conv.outputs().get(0);
            Node q = consumerOf.get(y);
            Node dx = producer.get(conv.inputs().get(0));
            Node dw = producer.get(conv.inputs().get(1));
            if (q == null || !q.opType().equals("QuantizeLinear") || uses.getOrDefault(y, 0) != 1 || graphOutputs.contains(y)
                    || !isDq(dx) || !isDq(dw) || !scalar(inits, dx, 1) || !scalar(inits, q, 1)) {
                continue;
            }
            Tensor wq = inits.get(dw.inputs().get(0));
            Tensor sw = inits.get(dw.inputs().get(1));
            if (wq == null || sw == null || !(wq.dataType() == DataType.INT8 || wq.dataType() == DataType.UINT8)
                    || (gemm && wq.rank() != 2)
                    || (sw.elementCount() != 1 && (sw.elementCount() != wq.dims()[(int) outAxis]
                    || dw.attribute("axis").map(Attribute::asLong).orElse(1L) != outAxis))) {
                continue;
            }
            String bq = null;
            if (conv.inputs().size() > 2 && !conv.inputs().get(2).isEmpty()) {
                Node db = producer.get(conv.inputs().get(2));
                bq = int32BiasWithScale(db, inits, inits.get(dx.inputs().get(1)).toFloats()[0], sw.toFloats());
                if (bq == null) {
                    continue;
                }
            }
            List<String> ins = new ArrayList<>(List.of(dx.inputs().get(0), dx.inputs().get(1), at(dx, 2),
                    dw.inputs().get(0), dw.inputs().get(1), at(dw, 2)));
            if (gemm) {
                // com.microsoft QGemm order: A, a_scale, a_zp, B, b_scale, b_zp, C, y_scale, y_zp
                ins.addAll(List.of(bq == null ? "" : bq, q.inputs().get(1), at(q, 2)));
            } else {
                ins.addAll(List.of(q.inputs().get(1), at(q, 2)));
                if (bq != null) {
                    ins.add(bq);
                }
            }
            List<Attribute> attrs = new ArrayList<>();
            int[] bounds = null;
            for (Attribute a : conv.attributes()) {
                if (a.name().equals(ACTIVATION)) {
                    bounds = codeBounds(conv, inits, q);
                } else if (!a.name().startsWith("polaris.")) {
                    attrs.add(a);
                }
            }
            if (conv.attribute(ACTIVATION).isPresent()) {
                if (bounds == null) {
                    continue;
                }
                attrs.add(Attribute.ofInt(QMIN, bounds[0]));
                attrs.add(Attribute.ofInt(QMAX, bounds[1]));
            }
            replace.put(conv, new Node(conv.name(), gemm ? "QGemm" : "QLinearConv", gemm ? "com.microsoft" : "", ins,
                    q.outputs(), attrs, conv.docString()));
            drop.add(q);
        }
        if (replace.isEmpty()) {
            return nodes;
        }
        List<Node> out = new ArrayList<>();
        for (Node n : nodes) {
            if (!drop.contains(n)) {
                out.add(replace.getOrDefault(n, n));
            }
        }
        // DequantizeLinear nodes left without consumers (the weights' and biases', usually) are dead now
        boolean changed = true;
        while (changed) {
            Map<String, Integer> used = new HashMap<>();
            out.forEach(n -> n.inputs().forEach(i -> used.merge(i, 1, Integer::sum)));
            changed = out.removeIf(n -> n.opType().equals("DequantizeLinear")
                    && n.outputs().stream().noneMatch(o -> used.containsKey(o) || graphOutputs.contains(o)));
        }
        return out;
    }

    /**
     * A DequantizeLinear of constant codes (weights the QDQ fusion did not take: Gemm, MatMul, unfused Conv) is
     * computed once here instead of on every run.
     */
    static List<Node> foldConstantDequantize(List<Node> nodes, Map<String, Tensor> inits, Set<String> graphOutputs) {
        List<Node> out = new ArrayList<>();
        for (Node n : nodes) {
            if (!isDq(n) || graphOutputs.contains(n.outputs().get(0))
                    || !n.inputs().stream().allMatch(i -> i.isEmpty() || inits.containsKey(i))) {
                out.add(n);
                continue;
            }
            Tensor q = inits.get(n.inputs().get(0));
            Tensor scale = inits.get(n.inputs().get(1));
            Tensor zp = n.inputs().size() > 2 && !n.inputs().get(2).isEmpty() ? inits.get(n.inputs().get(2)) : null;
            if (scale.dataType() != DataType.FLOAT || q.rank() == 0 && scale.elementCount() != 1
                    || n.attribute("block_size").isPresent()) {
                out.add(n);
                continue;
            }
            double[] codes = q.toDoubles();
            float[] s = scale.toFloats();
            double[] z = zp == null ? new double[] {0} : zp.toDoubles();
            long[] dims = q.dims();
            int axis = 0;
            int inner = 1;
            int len = 1;
            if (s.length > 1) {
                axis = (int) (long) n.attribute("axis").map(Attribute::asLong).orElse(1L);
                if (axis < 0) axis += dims.length;
                if (axis < 0 || axis >= dims.length || dims[axis] != s.length) {
                    out.add(n);
                    continue;
                }
                len = s.length;
                for (int d = axis + 1; d < dims.length; d++) inner *= (int) dims[d];
            }
            float[] v = new float[codes.length];
            for (int i = 0; i < v.length; i++) {
                int c = len == 1 ? 0 : (i / inner) % len;
                // exactly as the DequantizeLinear kernel computes it: (q - zp) * scale in double, rounded once
                v[i] = (float) ((codes[i] - z[z.length == 1 ? 0 : c]) * s[c]);
            }
            String name = n.outputs().get(0);
            inits.put(name, Tensor.ofFloats(name, dims, v));
        }
        return out;
    }

    private static boolean isDq(Node n) {
        return n != null && n.opType().equals("DequantizeLinear") && n.domain().isEmpty() && n.inputs().size() >= 2;
    }

    private static boolean scalar(Map<String, Tensor> inits, Node n, int input) {
        Tensor t = n.inputs().size() > input ? inits.get(n.inputs().get(input)) : null;
        return t != null && t.elementCount() == 1 && t.dataType() == DataType.FLOAT;
    }

    private static String at(Node n, int i) {
        return n.inputs().size() > i ? n.inputs().get(i) : "";
    }

    /** The int32 bias codes behind a DequantizeLinear whose scale is x_scale * w_scale (zero point 0), or null. */
    private static String int32BiasWithScale(Node db, Map<String, Tensor> inits, float sx, float[] sw) {
        if (!isDq(db)) {
            return null;
        }
        Tensor b = inits.get(db.inputs().get(0));
        Tensor sb = inits.get(db.inputs().get(1));
        if (b == null || sb == null || b.dataType() != DataType.INT32 || sb.dataType() != DataType.FLOAT) {
            return null;
        }
        Tensor zb = db.inputs().size() > 2 && !db.inputs().get(2).isEmpty() ? inits.get(db.inputs().get(2)) : null;
        if (zb != null && java.util.Arrays.stream(zb.toDoubles()).anyMatch(z -> z != 0)) {
            return null;
        }
        float[] s = sb.toFloats();
        for (int c = 0; c < b.elementCount(); c++) {
            float want = sx * sw[sw.length == 1 ? 0 : c];
            float got = s[s.length == 1 ? 0 : c];
            if (Math.abs(got - want) > 1e-6f * Math.abs(want)) {
                return null;
            }
        }
        return db.inputs().get(0);
    }

    /** Output-code bounds equivalent to the folded Relu/Clip: Q(lo) and Q(hi) under the QuantizeLinear's parameters. */
    private static int[] codeBounds(Node conv, Map<String, Tensor> inits, Node q) {
        float sy = inits.get(q.inputs().get(1)).toFloats()[0];
        Tensor zyT = q.inputs().size() > 2 && !q.inputs().get(2).isEmpty() ? inits.get(q.inputs().get(2)) : null;
        if (q.inputs().size() > 2 && !q.inputs().get(2).isEmpty() && zyT == null) {
            return null;
        }
        boolean signed = zyT != null && zyT.dataType() == DataType.INT8;
        int lo = signed ? -128 : 0, hi = signed ? 127 : 255;
        int zy = zyT == null ? 0 : (int) zyT.toDoubles()[0];
        Activation act = Activation.of(conv);
        if (act.op() != FloatMath.Unary.RELU && act.op() != FloatMath.Unary.CLIP) {
            return null; // only a clamp maps onto the output codes
        }
        float fLo = act.op() == FloatMath.Unary.RELU ? 0f : act.p();
        float fHi = act.op() == FloatMath.Unary.RELU ? Float.POSITIVE_INFINITY : act.q();
        return new int[] {quantize(fLo, sy, zy, lo, hi), quantize(fHi, sy, zy, lo, hi)};
    }

    private static int quantize(float v, float s, int z, int lo, int hi) {
        if (v == Float.NEGATIVE_INFINITY) return lo;
        if (v == Float.POSITIVE_INFINITY) return hi;
        return (int) Math.max(lo, Math.min(hi, Math.rint(v / s) + z));
    }

    private static float[] clipRange(Node clip, Map<String, Tensor> inits, long opset) {
        if (opset < 11) {
            return new float[] {clip.attribute("min").map(Attribute::asFloat).orElse(-Float.MAX_VALUE),
                    clip.attribute("max").map(Attribute::asFloat).orElse(Float.MAX_VALUE)};
        }
        float[] r = {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY};
        for (int k = 1; k <= 2 && k < clip.inputs().size(); k++) {
            String name = clip.inputs().get(k);
            if (name.isEmpty()) {
                continue;
            }
            Tensor t = inits.get(name);
            if (t == null || t.dataType() != DataType.FLOAT) {
                return null;
            }
            r[k - 1] = t.toFloats()[0];
        }
        return r;
    }

    /** Applies the activation folded into {@code node}, if any, in place. */
    static void activate(Node node, float[] v) {
        activate(Activation.of(node), v, 0, v.length);
    }

    /** Applies {@code act} (none when null) in place to {@code v[from, to)}. */
    static void activate(Activation act, float[] v, int from, int to) {
        if (act != null) {
            FloatMath.unaryRange(act.op(), v, v, from, to, act.p(), act.q());
        }
    }
}
