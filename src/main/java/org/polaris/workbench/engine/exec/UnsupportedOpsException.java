package org.polaris.workbench.engine.exec;

import java.util.List;
import java.util.Map;

/** The engine cannot run a model: names every unsupported op type and the nodes that use it, before any run. */
public class UnsupportedOpsException extends Exception {

    private static final long serialVersionUID = 1L;
    private final transient Map<String, List<String>> nodesByOp;

    public UnsupportedOpsException(String model, Map<String, List<String>> nodesByOp) {
        super(model + ": the engine does not implement " + describe(nodesByOp));
        this.nodesByOp = Map.copyOf(nodesByOp);
    }

    private static String describe(Map<String, List<String>> m) {
        StringBuilder b = new StringBuilder();
        m.forEach((op, nodes) -> b.append(b.length() == 0 ? "" : "; ").append(op).append(" (")
                .append(nodes.size() <= 3 ? String.join(", ", nodes) : String.join(", ", nodes.subList(0, 3))
                        + " and " + (nodes.size() - 3) + " more").append(")"));
        return b.toString();
    }

    public Map<String, List<String>> nodesByOp() {
        return nodesByOp;
    }
}
