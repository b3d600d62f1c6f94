package org.polaris.workbench.engine.model;


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
 * A {@code Concat} of initializers (a weight stored sparse in blocks, {@link SparseChunks}) becomes one initializer,
 * and a {@code Transpose} of a float initializer (a MatMul weight some exporters transpose at run time) a transposed
 * initializer.
 */
public final class GraphPrep {

    private GraphPrep() {
    }

    /**
     * Only the first step of {@link #normalize}: every {@code Constant} node that holds a tensor becomes an
     * initializer of the same name, so weights kept in Constant nodes can be pruned like any other weight. Nothing
     * else in the graph changes.
     */
    public static OnnxModel constantsAsInitializers(OnnxModel model) {
        Graph g = model.graph();
        Set<String> graphOutputs = new HashSet<>();
        g.outputs().forEach(v -> graphOutputs.add(v.name()));
        List<Tensor> inits = new ArrayList<>(g.initializers());
        List<Node> kept = new ArrayList<>();
        for (Node n : g.nodes()) {
            boolean defaultDomain = n.domain().isEmpty() || n.domain().equals("ai.onnx");
            Tensor t = defaultDomain && n.opType().equals("Constant") && n.outputs().size() == 1
                    && !graphOutputs.contains(n.outputs().get(0)) ? constantValue(n) : null;
            if (t != null) {
                inits.add(t.withName(n.outputs().get(0)));
            } else {
                kept.add(n);
            }
        }
        if (kept.size() == g.nodes().size()) {
            return model;
        }
        Graph out = new Graph(g.name(), kept, g.inputs(), g.outputs(), g.valueInfos(), inits, g.docString(),
                g.encodedExtras());
        return new OnnxModel(Math.max(model.irVersion(), 4), model.opsets(), model.producerName(),
                model.producerVersion(), model.domain(), model.modelVersion(), model.docString(), model.metadata(),
                out, model.encodedExtras(), model.source(), model.fileBytes());
    }

    public static OnnxModel normalize(OnnxModel model) {
        model = SparseChunks.fold(model);
        Graph g = model.graph();
        Map<String, Tensor> inits = new LinkedHashMap<>();
        g.initializers().forEach(t -> inits.put(t.name(), t));
        Set<String> graphOutputs = new HashSet<>();
        g.outputs().forEach(v -> graphOutputs.add(v.name()));
        Map<String, String> rename = new HashMap<>();
        List<Node> kept = new ArrayList<>();
        // names a subgraph reads keep their producers: renaming or folding them would not reach into the subgraph
        Set<String> readBySubgraphs = subgraphReferences(g.nodes());
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
                    && !graphOutputs.contains(n.outputs().get(0)) && !readBySubgraphs.contains(n.outputs().get(0))) {
                String src = rename.getOrDefault(n.inputs().get(0), n.inputs().get(0));
                if (inits.containsKey(src)) {
                    rename.put(n.outputs().get(0), src);
                    continue;
                }
            }
            if (defaultDomain && n.opType().equals("Transpose") && n.inputs().size() == 1 && n.outputs().size() == 1
                    && !graphOutputs.contains(n.outputs().get(0))) {
                Tensor src = inits.get(rename.getOrDefault(n.inputs().get(0), n.inputs().get(0)));
                if (src != null && src.dataType() == DataType.FLOAT && src.rank() >= 2) {
                    inits.put(n.outputs().get(0), transposed(src, n, n.outputs().get(0)));
                    continue;
                }
            }
            kept.add(renamed(n, rename));
        }
        kept = foldBatchNorms(kept, inits, graphOutputs);
        // weights listed as inputs (IR < 4) are no inputs, including those the folds above made unused
        Set<String> weights = new HashSet<>(inits.keySet());
        g.initializers().forEach(t -> weights.add(t.name()));
        List<ValueInfo> inputs = g.inputs().stream().filter(v -> !weights.contains(v.name())).toList();
        Graph out = new Graph(g.name(), kept, inputs, g.outputs(), g.valueInfos(), List.copyOf(inits.values()),
                g.docString(), g.encodedExtras());
        return new OnnxModel(Math.max(model.irVersion(), 7), model.opsets(), model.producerName(),
                model.producerVersion(), model.domain(), model.modelVersion(), model.docString(), model.metadata(),
                out, model.encodedExtras(), model.source(), model.fileBytes());
    }

    /**
     * A float initializer transposed as the {@code Transpose} node says (default: dimensions reversed), so a weight
     * an exporter feeds through {@code Transpose} into MatMul is a constant weight again.
     */
    static Tensor transposed(Tensor t, Node transpose, String name) {
        int r = t.rank();
        long[] dims = t.dims();
        int[] perm = new int[r];
        long[] given = transpose.attribute("perm").map(Attribute::asLongs).orElse(null);
        for (int k = 0; k < r; k++) {
            perm[k] = given != null && given.length == r ? (int) given[k] : r - 1 - k;
        }
        long[] outDims = new long[r];
        for (int k = 0; k < r; k++) {
            outDims[k] = dims[perm[k]];
        }
        long[] inStrides = new long[r];
        long stride = 1;
        for (int k = r - 1; k >= 0; k--) {
            inStrides[k] = stride;
            stride *= dims[k];
        }
        float[] in = t.toFloats();
        float[] out = new float[in.length];
        int[] idx = new int[r];
        for (int o = 0; o < out.length; o++) {
            long src = 0;
            for (int k = 0; k < r; k++) {
                src += idx[k] * inStrides[perm[k]];
            }
            out[o] = in[(int) src];
            for (int k = r - 1; k >= 0 && ++idx[k] == outDims[k]; k--) {
                idx[k] = 0;
            }
        }
        return Tensor.ofFloats(name, outDims, out);
    }

    /**
     * Folds an inference BatchNormalization into the Conv before it when the Conv feeds nothing else: per output
     * channel, {@code W' = W * g / sqrt(v + eps)} and {@code b' = (b - m) * g / sqrt(v + eps) + beta}. Without
     * this a Q/DQ pair would sit between Conv and BN and keep ONNX Runtime from fusing either.
     */
    static List<Node> foldBatchNorms(List<Node> nodes, Map<String, Tensor> inits, Set<String> graphOutputs) {
        Map<String, Integer> uses = new HashMap<>();
        for (Node n : nodes) {
            n.inputs().forEach(i -> uses.merge(i, 1, Integer::sum));
        }
        Map<String, Integer> producer = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            for (String o : nodes.get(i).outputs()) {
                producer.put(o, i);
            }
        }
        List<Node> out = new ArrayList<>(nodes);
        Set<Integer> removed = new HashSet<>();
        for (int i = 0; i < out.size(); i++) {
            Node bn = out.get(i);
            if (!bn.opType().equals("BatchNormalization") || bn.inputs().size() != 5 || bn.outputs().size() != 1) {
                continue;
            }
            String x = bn.inputs().get(0);
            Integer ci = producer.get(x);
            if (ci == null || removed.contains(ci) || uses.getOrDefault(x, 0) != 1 || graphOutputs.contains(x)) {
                continue;
            }
            Node conv = out.get(ci);
            if (!conv.opType().equals("Conv") || conv.inputs().size() < 2 || !inits.containsKey(conv.inputs().get(1))
                    || (conv.inputs().size() > 2 && !inits.containsKey(conv.inputs().get(2)))
                    || bn.inputs().subList(1, 5).stream().anyMatch(t -> !inits.containsKey(t))) {
                continue;
            }
            Tensor w = inits.get(conv.inputs().get(1));
            if (w.dataType() != DataType.FLOAT || bn.inputs().subList(1, 5).stream()
                    .anyMatch(t -> inits.get(t).dataType() != DataType.FLOAT)) {
                continue;
            }
            float eps = bn.attribute("epsilon").map(Attribute::asFloat).orElse(1e-5f);
            float[] gamma = inits.get(bn.inputs().get(1)).toFloats();
            float[] beta = inits.get(bn.inputs().get(2)).toFloats();
            float[] mean = inits.get(bn.inputs().get(3)).toFloats();
            float[] var = inits.get(bn.inputs().get(4)).toFloats();
            float[] wv = w.toFloats();
            int channels = (int) w.dims()[0];
            if (gamma.length != channels) {
                continue;
            }
            int per = wv.length / channels;
            float[] bias = conv.inputs().size() > 2 && !conv.inputs().get(2).isEmpty()
                    ? inits.get(conv.inputs().get(2)).toFloats() : new float[channels];
            float[] nb = new float[channels];
            for (int c = 0; c < channels; c++) {
                double f = gamma[c] / Math.sqrt(var[c] + eps);
                for (int k = 0; k < per; k++) {
                    wv[c * per + k] = (float) (wv[c * per + k] * f);
                }
                nb[c] = (float) ((bias[c] - mean[c]) * f + beta[c]);
            }
            String wName = conv.inputs().get(1) + "_bnfolded";
            String bName = bn.outputs().get(0) + "_bias";
            inits.put(wName, Tensor.ofFloats(wName, w.dims(), wv));
            inits.put(bName, Tensor.ofFloats(bName, new long[] {channels}, nb));
            out.set(ci, new Node(conv.name(), conv.opType(), conv.domain(),
                    List.of(conv.inputs().get(0), wName, bName), bn.outputs(), conv.attributes(), conv.docString()));
            removed.add(i);
        }
        List<Node> result = new ArrayList<>();
        for (int i = 0; i < out.size(); i++) {
            if (!removed.contains(i)) {
                result.add(out.get(i));
            }
        }
        pruneUnused(result, inits, graphOutputs);
        return result;
    }

    private static void pruneUnused(List<Node> nodes, Map<String, Tensor> inits, Set<String> graphOutputs) {
        Set<String> used = new HashSet<>(graphOutputs);
        nodes.forEach(n -> used.addAll(n.inputs()));
        used.addAll(subgraphReferences(nodes));
        inits.keySet().removeIf(k -> !used.contains(k));
    }

    /** Every name the subgraphs of {@code nodes} (If branches, Loop and Scan bodies, nested) read. */
    public static Set<String> subgraphReferences(List<Node> nodes) {
        Set<String> out = new HashSet<>();
        for (Node n : nodes) {
            for (Attribute a : n.attributes()) {
                for (Graph sg : a.subgraphs()) {
                    sg.nodes().forEach(m -> out.addAll(m.inputs()));
                    sg.outputs().forEach(v -> out.add(v.name()));
                    out.addAll(subgraphReferences(sg.nodes()));
                }
            }
        }
        return out;
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
