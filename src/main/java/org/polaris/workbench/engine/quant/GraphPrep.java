package org.polaris.workbench.engine.quant;

import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Graph;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Brings a graph into the shape quantization needs: {@code Constant} nodes become initializers (exporters such as
 * paddle2onnx keep every weight there), {@code Identity} aliases of initializers are bypassed, and initializers
 * listed as graph inputs (IR < 4) are dropped from the inputs so a replaced weight leaves no dangling input.
 */
public final class GraphPrep {

    private GraphPrep() {
    }

    public static OnnxModel normalize(OnnxModel model) {
        Graph g = model.graph();
        Map<String, Tensor> inits = new LinkedHashMap<>();
        g.initializers().forEach(t -> inits.put(t.name(), t));
        Set<String> graphOutputs = new HashSet<>();
        g.outputs().forEach(v -> graphOutputs.add(v.name()));
        Map<String, String> rename = new HashMap<>();
        List<Node> kept = new ArrayList<>();
        for (Node n : g.nodes()) {
            boolean defaultDomain = n.domain().isEmpty() || n.domain().equals("ai.onnx");
            if (defaultDomain && n.opType().equals("Constant") && n.outputs().size() == 1
                    && !graphOutputs.contains(n.outputs().get(0))) {
                Tensor t = constantValue(n);
                if (t != null) {
                    inits.put(n.outputs().get(0), t.withName(n.outputs().get(0)));
                    continue;
                }
            }
            if (defaultDomain && n.opType().equals("Identity") && n.inputs().size() == 1
                    && !graphOutputs.contains(n.outputs().get(0))) {
                String src = rename.getOrDefault(n.inputs().get(0), n.inputs().get(0));
                if (inits.containsKey(src)) {
                    rename.put(n.outputs().get(0), src);
                    continue;
                }
            }
            kept.add(renamed(n, rename));
        }
        List<ValueInfo> inputs = g.inputs().stream().filter(v -> !inits.containsKey(v.name())).toList();
        Graph out = new Graph(g.name(), kept, inputs, g.outputs(), g.valueInfos(), List.copyOf(inits.values()),
                g.docString(), g.encodedExtras());
        return new OnnxModel(Math.max(model.irVersion(), 7), model.opsets(), model.producerName(),
                model.producerVersion(), model.domain(), model.modelVersion(), model.docString(), model.metadata(),
                out, model.encodedExtras(), model.source(), model.fileBytes());
    }

    private static Node renamed(Node n, Map<String, String> rename) {
        if (rename.isEmpty()) {
            return n;
        }
        List<String> ins = n.inputs().stream().map(i -> rename.getOrDefault(i, i)).toList();
        return new Node(n.name(), n.opType(), n.domain(), ins, n.outputs(), n.attributes(), n.docString());
    }

    /** The tensor a Constant node produces, for the attribute forms that carry one; null for sparse values. */
    private static Tensor constantValue(Node n) {
        for (Attribute a : n.attributes()) {
            switch (a.name()) {
                case "value":
                    return a.type() == Attribute.Type.TENSOR ? a.asTensor() : null;
                case "value_float":
                    return Tensor.ofFloats("", new long[0], new float[] {a.asFloat()});
                case "value_floats": {
                    float[] f = (float[]) a.value();
                    return Tensor.ofFloats("", new long[] {f.length}, f);
                }
                case "value_int":
                    return longs(new long[] {a.asLong()}, new long[0]);
                case "value_ints": {
                    long[] v = a.asLongs();
                    return longs(v, new long[] {v.length});
                }
                default:
                    break;
            }
        }
        return null;
    }

    private static Tensor longs(long[] values, long[] dims) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return new Tensor("", DataType.INT64, dims, b.array(), List.of(), null, "");
    }
}
