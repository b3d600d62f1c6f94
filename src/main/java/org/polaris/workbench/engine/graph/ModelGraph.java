package org.polaris.workbench.engine.graph;

import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.Graph;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;
import org.polaris.workbench.engine.model.Weight;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One level of an ONNX graph as the graph view draws it: operators with their constant inputs folded in, the graph's
 * inputs and outputs, and one edge per tensor a node reads from another. Subgraphs (If branches, Loop and Scan
 * bodies) hang off their node, built the same way.
 *
 * @param path where this level sits: empty for the main graph, else e.g. {@code [/loop/Loop, body]}
 * @param source the ONNX graph this level draws (a node's attributes: {@code source.nodes().get(node.index())})
 */
public record ModelGraph(String name, List<String> path, List<GraphNode> nodes, List<Edge> edges, Graph source) {

    /** Deepest subgraph nesting built; deeper levels show as a node without a subgraph. */
    public static final int MAX_DEPTH = 16;

    /**
     * A tensor from one node to another.
     *
     * @param shape the tensor's shape where known ({@code float32[1,64,56,56]}), else empty
     */
    public record Edge(String from, String to, String tensor, String shape) {
    }

    public ModelGraph {
        path = List.copyOf(path);
        nodes = List.copyOf(nodes);
        edges = List.copyOf(edges);
    }

    public static ModelGraph of(Graph g) {
        return of(g, Map.of());
    }

    /** @param shapes tensor name to shape from a run (overrides what the file declares) */
    public static ModelGraph of(Graph g, Map<String, String> shapes) {
        return build(g, shapes, List.of());
    }

    /** The ONNX node a box draws, if it is an operator. */
    public Optional<Node> sourceNode(GraphNode n) {
        return n.index() >= 0 && n.index() < source.nodes().size() ? Optional.of(source.nodes().get(n.index())) : Optional.empty();
    }

    public Optional<GraphNode> node(String id) {
        return nodes.stream().filter(n -> n.id().equals(id)).findFirst();
    }

    /** Operators at this level and in every subgraph. */
    public int operatorCount() {
        int n = 0;
        for (GraphNode g : nodes) {
            if (g.isOperator()) n++;
            for (GraphNode.Subgraph s : g.subgraphs()) n += s.graph().operatorCount();
        }
        return n;
    }

    /** 64x3x3x3; a scalar is {@code scalar}. */
    static String dims(long[] d) {
        return d.length == 0 ? "scalar" : java.util.Arrays.stream(d).mapToObj(Long::toString).collect(Collectors.joining("x"));
    }

    private static ModelGraph build(Graph g, Map<String, String> resolved, List<String> path) {
        Map<String, String> shapes = new HashMap<>();
        for (List<ValueInfo> vs : List.of(g.valueInfos(), g.inputs(), g.outputs())) {
            for (ValueInfo v : vs) {
                if (v.type() != null && v.type().isTensor() && v.type().shape() != null) shapes.put(v.name(), v.type().description());
            }
        }
        shapes.putAll(resolved);
        Map<String, GraphNode.FoldedWeight> constants = constants(g);
        Set<Integer> hidden = new HashSet<>(); // Constant and Identity-of-constant nodes, folded into their readers
        for (int i = 0; i < g.nodes().size(); i++) {
            Node n = g.nodes().get(i);
            if (!n.outputs().isEmpty() && n.outputs().stream().allMatch(constants::containsKey)) hidden.add(i);
        }
        Set<String> graphOutputs = g.outputs().stream().map(ValueInfo::name).collect(Collectors.toSet());
        List<GraphNode> nodes = new ArrayList<>();
        Map<String, String> producer = new HashMap<>();
        Set<String> initNames = g.initializers().stream().map(Tensor::name).collect(Collectors.toSet());
        for (ValueInfo in : g.inputs()) {
            if (initNames.contains(in.name())) continue; // older IRs list weights as inputs too
            String id = "input:" + in.name();
            nodes.add(new GraphNode(id, GraphNode.Kind.INPUT, in.name(), "input", "", shapes.getOrDefault(in.name(), ""),
                    List.of(), List.of(in.name()), List.of(), List.of(), -1));
            producer.put(in.name(), id);
        }
        Set<String> ids = new HashSet<>();
        nodes.forEach(n -> ids.add(n.id()));
        List<GraphNode> ops = new ArrayList<>();
        for (int i = 0; i < g.nodes().size(); i++) {
            Node n = g.nodes().get(i);
            boolean feedsOutput = n.outputs().stream().anyMatch(graphOutputs::contains);
            if (hidden.contains(i) && !feedsOutput) continue;
            String id = n.name().isEmpty() || ids.contains(n.name()) ? n.opType() + "#" + i : n.name();
            ids.add(id);
            List<GraphNode.FoldedWeight> weights = new ArrayList<>();
            List<String> roles = OpSchemas.inputNames(n.opType());
            for (int k = 0; k < n.inputs().size(); k++) {
                GraphNode.FoldedWeight c = constants.get(n.inputs().get(k));
                if (c != null) {
                    String role = k < roles.size() ? roles.get(k) : "in" + k;
                    weights.add(new GraphNode.FoldedWeight(role, c.name(), c.tensor(), c.origin()));
                }
            }
            List<GraphNode.Subgraph> subs = new ArrayList<>();
            if (path.size() / 2 < MAX_DEPTH) {
                for (Attribute a : n.attributes()) {
                    List<Graph> gs = a.subgraphs();
                    for (int s = 0; s < gs.size(); s++) {
                        String attr = gs.size() == 1 ? a.name() : a.name() + "[" + s + "]";
                        List<String> sub = new ArrayList<>(path);
                        sub.add(id);
                        sub.add(attr);
                        subs.add(new GraphNode.Subgraph(attr, build(gs.get(s), resolved, sub)));
                    }
                }
            }
            GraphNode gn = new GraphNode(id, GraphNode.Kind.OPERATOR, n.name(), n.opType(), n.domain(),
                    OpSchemas.detail(n, weights), n.inputs(), n.outputs(), weights, subs, i);
            ops.add(gn);
            for (String o : n.outputs()) {
                if (!o.isEmpty()) producer.put(o, id);
            }
        }
        nodes.addAll(ops);
        List<Edge> edges = new ArrayList<>();
        Map<String, GraphNode> outer = new LinkedHashMap<>();
        for (GraphNode n : ops) {
            Set<String> folded = n.weights().stream().map(GraphNode.FoldedWeight::name).collect(Collectors.toSet());
            for (String t : n.inputs()) {
                if (t.isEmpty() || (folded.contains(t) && !producer.containsKey(t))) continue;
                String from = producer.get(t);
                if (from == null) {
                    // read from the enclosing graph (a subgraph's captured value), or never produced at all
                    from = "outer:" + t;
                    outer.computeIfAbsent(t, x -> new GraphNode("outer:" + x, GraphNode.Kind.OUTER, x, "outer", "",
                            shapes.getOrDefault(x, ""), List.of(), List.of(x), List.of(), List.of(), -1));
                }
                edges.add(new Edge(from, n.id(), t, shapes.getOrDefault(t, "")));
            }
        }
        nodes.addAll(outer.values());
        for (ValueInfo out : g.outputs()) {
            String id = "output:" + out.name();
            nodes.add(new GraphNode(id, GraphNode.Kind.OUTPUT, out.name(), "output", "", shapes.getOrDefault(out.name(), ""),
                    List.of(out.name()), List.of(), List.of(), List.of(), -1));
            String from = producer.get(out.name());
            if (from != null) edges.add(new Edge(from, id, out.name(), shapes.getOrDefault(out.name(), "")));
        }
        return new ModelGraph(g.name(), path, nodes, edges, g);
    }

    /** Values that are constant: initializers, Constant node outputs and Identity aliases of either. */
    private static Map<String, GraphNode.FoldedWeight> constants(Graph g) {
        Map<String, GraphNode.FoldedWeight> c = new HashMap<>();
        Set<String> feeds = g.feedInputs().stream().map(ValueInfo::name).collect(Collectors.toSet());
        for (Tensor t : g.initializers()) {
            if (!feeds.contains(t.name())) c.put(t.name(), new GraphNode.FoldedWeight("", t.name(), t, Weight.Origin.INITIALIZER));
        }
        for (Node n : g.nodes()) {
            if (n.opType().equals("Constant") && Node.isDefaultDomain(n.domain()) && n.outputs().size() == 1) {
                String out = n.outputs().get(0);
                Tensor t = n.attribute("value").filter(a -> a.type() == Attribute.Type.TENSOR)
                        .map(a -> a.asTensor().withName(out)).orElse(null);
                c.put(out, new GraphNode.FoldedWeight("", out, t, Weight.Origin.CONSTANT_NODE));
            } else if (n.opType().equals("Identity") && n.inputs().size() == 1 && n.outputs().size() == 1
                    && c.containsKey(n.inputs().get(0))) {
                GraphNode.FoldedWeight src = c.get(n.inputs().get(0));
                c.put(n.outputs().get(0), new GraphNode.FoldedWeight("", n.outputs().get(0), src.tensor(), src.origin()));
            }
        }
        return c;
    }
}
