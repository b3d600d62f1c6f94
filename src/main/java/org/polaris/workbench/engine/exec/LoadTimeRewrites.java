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
 * Engine-only graph rewrites at load time (never written to a file): a Relu or Clip that is the sole consumer of
 * a Conv/Gemm/MatMul output is folded into that node (applied in place, saving a pass over the tensor), and
 * constant Gemm weights used with transB are transposed once instead of on every run.
 */
final class LoadTimeRewrites {

    /** Attribute names of the fused activation; they never collide with ONNX attribute names. */
    static final String ACTIVATION = "polaris.activation";
    static final String CLIP_MIN = "polaris.clip_min";
    static final String CLIP_MAX = "polaris.clip_max";

    private LoadTimeRewrites() {
    }

    static OnnxModel apply(OnnxModel model) {
        Graph g = model.graph();
        Map<String, Tensor> inits = new LinkedHashMap<>();
        g.initializers().forEach(t -> inits.put(t.name(), t));
        Map<String, Integer> uses = new HashMap<>();
        g.nodes().forEach(n -> n.inputs().forEach(i -> uses.merge(i, 1, Integer::sum)));
        Set<String> outputs = new HashSet<>();
        g.outputs().forEach(v -> outputs.add(v.name()));
        Map<String, Integer> consumer = new HashMap<>();
        for (int i = 0; i < g.nodes().size(); i++) {
            for (String in : g.nodes().get(i).inputs()) {
                consumer.put(in, i);
            }
        }
        List<Node> nodes = new ArrayList<>(g.nodes());
        Set<Integer> removed = new HashSet<>();
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            if (removed.contains(i) || !(n.opType().equals("Conv") || n.opType().equals("Gemm") || n.opType().equals("MatMul"))) {
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
            String out = n.outputs().get(0);
            Integer ci = consumer.get(out);
            List<String> outs = n.outputs();
            if (ci != null && uses.getOrDefault(out, 0) == 1 && !outputs.contains(out)) {
                Node act = nodes.get(ci);
                Float lo = null;
                Float hi = null;
                boolean fuse = act.opType().equals("Relu");
                if (act.opType().equals("Clip")) {
                    float[] range = clipRange(act, inits, model.defaultOpset());
                    if (range != null) {
                        fuse = true;
                        lo = range[0];
                        hi = range[1];
                    }
                }
                if (fuse && act.inputs().get(0).equals(out)) {
                    attrs.add(new Attribute(ACTIVATION, Attribute.Type.STRING,
                            act.opType().getBytes(java.nio.charset.StandardCharsets.UTF_8), "", ""));
                    if (lo != null) {
                        attrs.add(Attribute.ofFloat(CLIP_MIN, lo));
                        attrs.add(Attribute.ofFloat(CLIP_MAX, hi));
                    }
                    outs = act.outputs();
                    removed.add(ci);
                }
            }
            nodes.set(i, new Node(n.name(), n.opType(), n.domain(), ins, outs, attrs, n.docString()));
        }
        List<Node> kept = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            if (!removed.contains(i)) {
                kept.add(nodes.get(i));
            }
        }
        return model.withGraph(new Graph(g.name(), kept, g.inputs(), g.outputs(), g.valueInfos(),
                new ArrayList<>(inits.values()), g.docString(), g.encodedExtras()));
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
        var act = node.attribute(ACTIVATION);
        if (act.isEmpty()) {
            return;
        }
        if (act.get().asString().equals("Relu")) {
            // Branch-free (the JIT vectorizes it): a compare-and-store mispredicts on every other element.
            for (int k = 0; k < v.length; k++) {
                v[k] = Math.max(v[k], 0f);
            }
        } else {
            float lo = node.attribute(CLIP_MIN).map(Attribute::asFloat).orElse(Float.NEGATIVE_INFINITY);
            float hi = node.attribute(CLIP_MAX).map(Attribute::asFloat).orElse(Float.POSITIVE_INFINITY);
            for (int k = 0; k < v.length; k++) {
                v[k] = Math.min(hi, Math.max(lo, v[k]));
            }
        }
    }
}
