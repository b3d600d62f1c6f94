package org.polaris.workbench.engine.graph;

import java.util.ArrayList;
import java.util.List;

/**
 * The text lines of a node box and the box's size, shared by the layout, the canvas and the SVG writer so that
 * every drawing puts the same text in the same place. Sizes assume the view's 11 px sans font: at most
 * {@link GraphLayout#CHAR_WIDTH} per character, so text always fits.
 */
public final class NodeLabels {

    static final double CHAR_WIDTH = GraphLayout.CHAR_WIDTH;
    static final double LINE_HEIGHT = GraphLayout.LINE_HEIGHT;
    static final double PADDING = GraphLayout.PADDING;
    /** Folded weights listed in a box; more are summarized on one line. */
    static final int MAX_WEIGHT_LINES = 4;
    /** Characters of a line shown; longer lines end in an ellipsis. */
    static final int MAX_CHARS = 48;

    private NodeLabels() {
    }

    /** The title (op type, or the input/output name), then the detail, then one line per folded weight. */
    public static List<String> lines(GraphNode n) {
        List<String> lines = new ArrayList<>();
        switch (n.kind()) {
            case OPERATOR -> lines.add(n.opType());
            case INPUT, OUTPUT, OUTER -> lines.add(n.name());
        }
        if (!n.detail().isEmpty()) lines.add(n.detail());
        List<GraphNode.FoldedWeight> ws = n.weights();
        for (int i = 0; i < Math.min(ws.size(), MAX_WEIGHT_LINES); i++) {
            GraphNode.FoldedWeight w = ws.get(i);
            lines.add(w.role() + " " + w.describe());
        }
        if (ws.size() > MAX_WEIGHT_LINES) lines.add("+" + (ws.size() - MAX_WEIGHT_LINES) + " more");
        if (!n.subgraphs().isEmpty()) lines.add("▸ " + n.subgraphs().size() + (n.subgraphs().size() == 1 ? " subgraph" : " subgraphs"));
        return lines.stream().map(NodeLabels::clip).toList();
    }

    static String clip(String s) {
        return s.length() <= MAX_CHARS ? s : s.substring(0, MAX_CHARS - 1) + "…";
    }

    public static double width(List<String> lines) {
        int chars = lines.stream().mapToInt(String::length).max().orElse(4);
        return Math.max(56, Math.ceil(chars * CHAR_WIDTH + 2 * PADDING));
    }

    public static double height(List<String> lines) {
        return lines.size() * LINE_HEIGHT + PADDING;
    }
}
