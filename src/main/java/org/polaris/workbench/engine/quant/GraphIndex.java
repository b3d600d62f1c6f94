package org.polaris.workbench.engine.quant;

import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.ElementTypes;
import org.polaris.workbench.engine.model.Graph;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Lookups over one graph that the quantizers need: initializers, consumers, graph outputs, fresh names. */
final class GraphIndex {

    final Graph graph;
    final Map<String, Tensor> inits = new LinkedHashMap<>();
    final Map<String, List<Integer>> consumers = new HashMap<>();
    final Set<String> graphOutputs = new HashSet<>();
    /** Element types known without running the graph ({@link ElementTypes}). */
    final Map<String, DataType> types;
    private final Set<String> names = new HashSet<>();

    GraphIndex(Graph graph) {
        this.graph = graph;
        this.types = ElementTypes.infer(graph);
        graph.initializers().forEach(t -> inits.put(t.name(), t));
        graph.outputs().forEach(v -> graphOutputs.add(v.name()));
        for (int i = 0; i < graph.nodes().size(); i++) {
            Node n = graph.nodes().get(i);
            for (String in : n.inputs()) {
                consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(i);
            }
            names.addAll(n.inputs());
            names.addAll(n.outputs());
            names.add(n.name());
        }
        names.addAll(inits.keySet());
        graph.inputs().stream().map(ValueInfo::name).forEach(names::add);
    }

    Node node(int i) {
        return graph.nodes().get(i);
    }

    List<Integer> consumersOf(String tensor) {
        return consumers.getOrDefault(tensor, List.of());
    }

    boolean isInit(String name) {
        return inits.containsKey(name);
    }

    /** A name not used anywhere in the graph yet, derived from {@code base}. */
    String fresh(String base) {
        String n = base;
        for (int k = 1; names.contains(n); k++) {
            n = base + "_" + k;
        }
        names.add(n);
        return n;
    }

    /** Node name for reports and exclusion lists: its own name, or {@code OpType#index} when it has none. */
    String label(int i) {
        Node n = node(i);
        return n.name().isEmpty() ? n.opType() + "#" + i : n.name();
    }

    /** Whether node {@code i} is a Conv, Gemm or MatMul whose weight (input 1) is an initializer. */
    boolean hasConstantWeight(int i) {
        Node n = node(i);
        return QdqQuantizer.WEIGHTED.contains(n.opType()) && isDefaultDomain(n) && n.inputs().size() >= 2
                && isInit(n.inputs().get(1));
    }

    /** Whether the user asked to keep node {@code i} in float, by name or by {@code OpType#index}. */
    boolean excluded(int i, java.util.Set<String> exclude) {
        return exclude.contains(label(i)) || exclude.contains(node(i).name());
    }

    /** True when {@code tensor} is known to hold float32 values (int64 shape arithmetic is never quantized). */
    boolean isFloat(String tensor) {
        return types.get(tensor) == DataType.FLOAT;
    }

    static boolean isDefaultDomain(Node n) {
        return n.domain().isEmpty() || n.domain().equals("ai.onnx");
    }
}
