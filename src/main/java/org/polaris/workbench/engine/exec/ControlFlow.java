package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Graph;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;
import org.polaris.workbench.engine.model.ValueType;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * If and Loop. Subgraphs read values of the graphs around them by name; at load, {@link #expose} lists those
 * captured names as extra inputs of the node (attribute {@value #CAPTURES} names them), so the outer run keeps them
 * alive until the node runs and the kernel receives them with its inputs. Each subgraph runs as its own engine
 * session (loaded once per session of the outer graph), fed the captured values and, for Loop, the iteration count,
 * the condition and the loop-carried values.
 */
final class ControlFlow {

    static final String CAPTURES = "polaris.captures";

    private ControlFlow() {
    }

    /** The model with every control-flow node's captured outer names appended to its inputs. */
    static OnnxModel expose(OnnxModel m) {
        Graph g = m.graph();
        boolean any = g.nodes().stream().anyMatch(n -> n.attributes().stream().anyMatch(a -> !a.subgraphs().isEmpty()));
        if (!any) {
            return m;
        }
        List<Node> nodes = new ArrayList<>();
        for (Node n : g.nodes()) {
            Set<String> caps = new LinkedHashSet<>();
            for (Attribute a : n.attributes()) {
                for (Graph sg : a.subgraphs()) {
                    caps.addAll(freeNames(sg));
                }
            }
            if (caps.isEmpty() && n.attributes().stream().allMatch(a -> a.subgraphs().isEmpty())) {
                nodes.add(n);
                continue;
            }
            List<String> ins = new ArrayList<>(n.inputs());
            ins.addAll(caps);
            List<Attribute> attrs = new ArrayList<>(n.attributes());
            attrs.add(new Attribute(CAPTURES, Attribute.Type.STRINGS,
                    caps.stream().map(s -> s.getBytes(StandardCharsets.UTF_8)).toList(), "", ""));
            nodes.add(new Node(n.name(), n.opType(), n.domain(), ins, n.outputs(), attrs, n.docString()));
        }
        return m.withGraph(new Graph(g.name(), nodes, g.inputs(), g.outputs(), g.valueInfos(), g.initializers(),
                g.docString(), g.encodedExtras(), g.sparseInitializers()));
    }

    /** Names a graph (and its nested subgraphs) reads but does not define. */
    static Set<String> freeNames(Graph g) {
        Set<String> defined = new java.util.HashSet<>();
        g.inputs().forEach(v -> defined.add(v.name()));
        g.initializers().forEach(t -> defined.add(t.name()));
        g.nodes().forEach(n -> defined.addAll(n.outputs()));
        Set<String> free = new LinkedHashSet<>();
        for (Node n : g.nodes()) {
            for (String in : n.inputs()) {
                if (!in.isEmpty() && !defined.contains(in)) free.add(in);
            }
            for (Attribute a : n.attributes()) {
                for (Graph sg : a.subgraphs()) {
                    for (String in : freeNames(sg)) {
                        if (!defined.contains(in)) free.add(in);
                    }
                }
            }
        }
        for (ValueInfo v : g.outputs()) {
            if (!defined.contains(v.name())) free.add(v.name());
        }
        return free;
    }

    /** Every op type in the subgraphs of {@code nodes}, nested ones included. */
    static void subgraphOps(List<Node> nodes, Map<String, List<String>> into) {
        for (Node n : nodes) {
            for (Attribute a : n.attributes()) {
                for (Graph sg : a.subgraphs()) {
                    for (int i = 0; i < sg.nodes().size(); i++) {
                        Node s = sg.nodes().get(i);
                        into.computeIfAbsent(s.qualifiedOpType(), k -> new ArrayList<>())
                                .add(s.name().isEmpty() ? s.opType() + "#" + i : s.name());
                    }
                    subgraphOps(sg.nodes(), into);
                }
            }
        }
    }

    static void register(Map<String, Kernel> k, EnginePool pool) {
        Map<Graph, EngineSession> sessions = java.util.Collections.synchronizedMap(new IdentityHashMap<>());
        k.put("If", (n, in, o) -> {
            boolean cond = in[0].get(0) != 0;
            Graph branch = n.attribute(cond ? "then_branch" : "else_branch").orElseThrow().asGraph();
            List<String> caps = captures(n);
            Map<String, Tensor> feeds = new java.util.LinkedHashMap<>();
            int first = n.inputs().size() - caps.size();
            for (int i = 0; i < caps.size(); i++) {
                Value v = in[first + i];
                if (v != null) feeds.put(caps.get(i), v.toTensor(caps.get(i)));
            }
            Map<String, Tensor> out = session(sessions, branch, caps, o, pool).run(feeds, false);
            Value[] result = new Value[branch.outputs().size()];
            for (int i = 0; i < result.length; i++) result[i] = Value.of(out.get(branch.outputs().get(i).name()));
            return result;
        });
        k.put("Loop", (n, in, o) -> loop(n, in, o, sessions, pool));
    }

    private static List<String> captures(Node n) {
        return n.attribute(CAPTURES).map(a -> {
            @SuppressWarnings("unchecked")
            List<byte[]> raw = (List<byte[]>) a.value();
            return raw.stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList();
        }).orElse(List.of());
    }

    private static EngineSession session(Map<Graph, EngineSession> sessions, Graph sg, List<String> caps, int opset,
                                         EnginePool pool) {
        return sessions.computeIfAbsent(sg, g -> {
            List<ValueInfo> inputs = new ArrayList<>(g.inputs());
            Set<String> declared = new java.util.HashSet<>();
            inputs.forEach(v -> declared.add(v.name()));
            for (String c : caps) {
                if (declared.add(c)) inputs.add(new ValueInfo(c, ValueType.tensor(DataType.UNDEFINED, null), ""));
            }
            Graph body = new Graph(g.name(), g.nodes(), inputs, g.outputs(), g.valueInfos(), g.initializers(),
                    g.docString(), g.encodedExtras(), g.sparseInitializers());
            OnnxModel m = new OnnxModel(8, Map.of("", (long) opset), "subgraph", "", "", 0, "", Map.of(), body, null,
                    null, 0);
            try {
                return EngineSession.load(m, pool);
            } catch (UnsupportedOpsException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
        });
    }

    /**
     * Loop: inputs M (trip count, optional), cond (optional), the loop-carried initial values, then the captures;
     * the body gets (iteration, cond, carried...) and returns (cond, carried..., scan outputs...); scan outputs are
     * stacked along a new first axis.
     */
    private static Value[] loop(Node n, Value[] in, int opset, Map<Graph, EngineSession> sessions, EnginePool pool) {
        Graph body = n.attribute("body").orElseThrow().asGraph();
        List<String> caps = captures(n);
        int carried = n.inputs().size() - caps.size() - 2;
        long max = in[0] == null ? Long.MAX_VALUE : (long) in[0].get(0);
        boolean cond = in.length < 2 || in[1] == null || in[1].get(0) != 0;
        Value[] state = new Value[carried];
        System.arraycopy(in, 2, state, 0, carried);
        int scans = body.outputs().size() - 1 - carried;
        List<List<Value>> scanned = new ArrayList<>();
        for (int s = 0; s < scans; s++) scanned.add(new ArrayList<>());
        EngineSession sub = session(sessions, body, caps, opset, pool);
        Map<String, Tensor> fixed = new java.util.LinkedHashMap<>();
        int first = n.inputs().size() - caps.size();
        for (int i = 0; i < caps.size(); i++) {
            if (in[first + i] != null) fixed.put(caps.get(i), in[first + i].toTensor(caps.get(i)));
        }
        for (long it = 0; it < max && cond; it++) {
            Map<String, Tensor> feeds = new java.util.LinkedHashMap<>(fixed);
            String iterName = body.inputs().get(0).name();
            String condName = body.inputs().get(1).name();
            feeds.put(iterName, Value.longs(new int[0], new long[] {it}).toTensor(iterName));
            feeds.put(condName, Value.bytes(DataType.BOOL, new int[0], new byte[] {1}).toTensor(condName));
            for (int c = 0; c < carried; c++) {
                String name = body.inputs().get(2 + c).name();
                feeds.put(name, state[c].toTensor(name));
            }
            Map<String, Tensor> out = sub.run(feeds, false);
            cond = Value.of(out.get(body.outputs().get(0).name())).get(0) != 0;
            for (int c = 0; c < carried; c++) state[c] = Value.of(out.get(body.outputs().get(1 + c).name()));
            for (int s = 0; s < scans; s++) scanned.get(s).add(Value.of(out.get(body.outputs().get(1 + carried + s).name())));
        }
        Value[] result = new Value[carried + scans];
        System.arraycopy(state, 0, result, 0, carried);
        for (int s = 0; s < scans; s++) result[carried + s] = stack(scanned.get(s));
        return result;
    }

    /** Values of one shape stacked along a new first axis ({@code [0]} floats when there are none). */
    static Value stack(List<Value> parts) {
        if (parts.isEmpty()) {
            return Value.floats(new int[] {0}, new float[0]);
        }
        Value p0 = parts.get(0);
        int[] shape = new int[p0.rank() + 1];
        shape[0] = parts.size();
        System.arraycopy(p0.shape, 0, shape, 1, p0.rank());
        double[] all = new double[Value.size(shape)];
        int per = p0.size();
        for (int i = 0; i < parts.size(); i++) {
            double[] d = parts.get(i).toDoubles();
            System.arraycopy(d, 0, all, i * per, per);
        }
        return Value.ofDoubles(p0.type, shape, all);
    }
}
