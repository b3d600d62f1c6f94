package org.polaris.workbench.engine.model;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds a graph's weights: initializers, tensors held by {@code Constant} nodes (some exporters keep every weight
 * there and write no initializers), and the {@code Identity} aliases that point at either.
 */
public final class Weights {

    private Weights() {
    }

    public static List<Weight> of(Graph graph) {
        Map<String, Tensor> byName = new LinkedHashMap<>();
        Map<String, Weight.Origin> origin = new LinkedHashMap<>();
        Set<String> feedNames = new HashSet<>();
        graph.feedInputs().forEach(v -> feedNames.add(v.name()));
        for (Tensor t : graph.initializers()) {
            byName.put(t.name(), t);
            origin.put(t.name(), Weight.Origin.INITIALIZER);
        }
        for (Node n : graph.nodes()) {
            if (n.opType().equals("Constant") && Node.isDefaultDomain(n.domain()) && n.outputs().size() == 1) {
                n.attribute("value").filter(a -> a.type() == Attribute.Type.TENSOR).ifPresent(a -> {
                    String out = n.outputs().get(0);
                    byName.put(out, a.asTensor().withName(out));
                    origin.put(out, Weight.Origin.CONSTANT_NODE);
                });
            }
        }
        Map<String, List<String>> aliases = new LinkedHashMap<>();
        Map<String, String> root = new LinkedHashMap<>();
        byName.keySet().forEach(k -> root.put(k, k));
        for (Node n : graph.nodes()) {
            if (n.opType().equals("Identity") && n.inputs().size() == 1 && n.outputs().size() == 1) {
                String target = root.get(n.inputs().get(0));
                if (target != null && !feedNames.contains(n.inputs().get(0))) {
                    root.put(n.outputs().get(0), target);
                    aliases.computeIfAbsent(target, k -> new ArrayList<>()).add(n.outputs().get(0));
                }
            }
        }
        List<Weight> out = new ArrayList<>(byName.size());
        byName.forEach((name, t) -> out.add(new Weight(t, origin.get(name), aliases.getOrDefault(name, List.of()))));
        return out;
    }
}
