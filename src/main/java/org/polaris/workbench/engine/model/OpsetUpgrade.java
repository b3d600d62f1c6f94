package org.polaris.workbench.engine.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Raises an opset-6 model to opset 7 where that changes no op's meaning, so rewrites can use numpy-broadcasting
 * {@code Mul} (ONNX Runtime has no kernel for the legacy broadcasting {@code Mul} of opset 6). Opset 7 changed the
 * binary ops' broadcasting, removed {@code is_test} and Gemm's {@code broadcast} attribute, and changed PRelu and
 * the recurrent ops: a model is raised only when its binary ops do not broadcast the legacy way and it has none of
 * the others; the removed attributes are dropped (their meaning is the opset-7 default).
 */
public final class OpsetUpgrade {

    private static final Set<String> LEGACY_BROADCAST = Set.of("Add", "Sub", "Mul", "Div", "Pow", "Equal", "Greater",
            "Less", "And", "Or", "Xor");
    private static final Set<String> CHANGED = Set.of("PRelu", "GRU", "LSTM", "RNN", "Upsample");
    private static final Set<String> DROPPED = Set.of("is_test", "broadcast");

    private OpsetUpgrade() {
    }

    /** Why {@code m} cannot be raised to opset 7, or {@code null} when it can (or already is at 7 or above). */
    public static String obstacle(OnnxModel m) {
        long opset = m.defaultOpset();
        if (opset >= 7) {
            return null;
        }
        if (opset < 6) {
            return "it uses opset " + opset + " (older than 6)";
        }
        for (Node n : m.graph().nodes()) {
            if (!n.domain().isEmpty() && !n.domain().equals("ai.onnx")) {
                continue;
            }
            if (CHANGED.contains(n.opType())) {
                return "its " + n.opType() + " changed meaning in opset 7";
            }
            if (n.attributes().stream().anyMatch(a -> a.type() == Attribute.Type.GRAPH || a.type() == Attribute.Type.GRAPHS)) {
                return "its " + n.opType() + " holds a subgraph";
            }
            boolean broadcasts = n.attribute("broadcast").map(a -> a.asLong() != 0).orElse(false);
            if (LEGACY_BROADCAST.contains(n.opType()) && broadcasts) {
                return "its " + n.opType() + " uses opset 6 broadcasting";
            }
        }
        return null;
    }

    /** {@code m} at opset 7 (itself when already there). */
    public static OnnxModel toOpset7(OnnxModel m) {
        if (m.defaultOpset() >= 7) {
            return m;
        }
        String why = obstacle(m);
        if (why != null) {
            throw new IllegalArgumentException("cannot raise the model to opset 7: " + why);
        }
        List<Node> nodes = new ArrayList<>();
        for (Node n : m.graph().nodes()) {
            boolean onnx = n.domain().isEmpty() || n.domain().equals("ai.onnx");
            List<Attribute> kept = onnx ? n.attributes().stream().filter(a -> !DROPPED.contains(a.name())).toList()
                    : n.attributes();
            nodes.add(new Node(n.name(), n.opType(), n.domain(), n.inputs(), n.outputs(), kept, n.docString()));
        }
        Graph g = m.graph();
        Graph raised = new Graph(g.name(), nodes, g.inputs(), g.outputs(), g.valueInfos(), g.initializers(),
                g.docString(), g.encodedExtras(), g.sparseInitializers());
        Map<String, Long> opsets = new LinkedHashMap<>(m.opsets());
        opsets.put(opsets.containsKey("") || !opsets.containsKey("ai.onnx") ? "" : "ai.onnx", 7L);
        return new OnnxModel(m.irVersion(), opsets, m.producerName(), m.producerVersion(), m.domain(), m.modelVersion(),
                m.docString(), m.metadata(), raised, m.encodedExtras(), m.source(), m.fileBytes());
    }
}
