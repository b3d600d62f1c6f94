package org.polaris.workbench.ui.models;

import org.polaris.workbench.engine.graph.GraphNode;
import org.polaris.workbench.engine.graph.ModelGraph;
import org.polaris.workbench.engine.graph.Overlay;
import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.WeightStats;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the graph view's side panel shows for the selected node: its attributes, the tensors it reads and writes with
 * their shapes, its folded weights with statistics (the Weights tab's), its subgraphs, and the overlay's value.
 *
 * @param rows label/value pairs: name, op, attributes, inputs, outputs
 * @param weights statistics of the node's folded weights, in input order
 */
record NodeDetails(GraphNode node, String title, List<String[]> rows, List<WeightStats> weights, String overlay) {

    static NodeDetails of(GraphNode n, ModelGraph level, Node source, Map<String, WeightStats> stats, Overlay overlay) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"Name", n.name().isEmpty() ? "(unnamed) " + n.id() : n.name()});
        rows.add(new String[] {"Op", n.qualifiedOpType()});
        if (source != null) {
            for (Attribute a : source.attributes()) {
                rows.add(new String[] {a.name(), value(a)});
            }
        }
        for (ModelGraph.Edge e : level.edges()) {
            if (e.to().equals(n.id())) rows.add(new String[] {"in: " + e.tensor(), e.shape().isEmpty() ? "from " + e.from() : e.shape()});
        }
        for (GraphNode.FoldedWeight w : n.weights()) {
            rows.add(new String[] {"weight " + w.role(), w.name() + "  " + w.describe()});
        }
        for (ModelGraph.Edge e : level.edges()) {
            if (e.from().equals(n.id())) rows.add(new String[] {"out: " + e.tensor(), e.shape().isEmpty() ? "to " + e.to() : e.shape()});
        }
        List<WeightStats> ws = new ArrayList<>();
        for (GraphNode.FoldedWeight w : n.weights()) {
            WeightStats s = stats.get(w.name());
            if (s != null) ws.add(s);
        }
        Overlay.Mark m = overlay == null ? null : overlay.marks().get(n.id());
        String o = m == null ? "" : overlay.kind().label() + ": " + m.tooltip();
        return new NodeDetails(n, n.isOperator() ? n.opType() + "  " + n.name() : n.name(), rows, ws, o);
    }

    private static String value(Attribute a) {
        return switch (a.type()) {
            case INT -> Long.toString(a.asLong());
            case FLOAT -> String.format(Locale.ROOT, "%g", a.asFloat());
            case STRING -> a.asString();
            case INTS -> Arrays.toString(a.asLongs());
            case FLOATS -> Arrays.toString((float[]) a.value());
            case TENSOR -> "tensor " + a.asTensor().dataType().displayName() + Arrays.toString(a.asTensor().dims());
            case GRAPH, GRAPHS -> a.subgraphs().size() == 1 ? "subgraph (open it below)" : a.subgraphs().size() + " subgraphs";
            default -> a.type().name().toLowerCase(Locale.ROOT);
        };
    }
}
