package org.polaris.workbench.engine.graph;

import org.eclipse.elk.alg.layered.LayeredLayoutProvider;
import org.eclipse.elk.alg.layered.options.LayeredMetaDataProvider;
import org.eclipse.elk.alg.layered.options.LayeredOptions;
import org.eclipse.elk.core.data.LayoutMetaDataService;
import org.eclipse.elk.core.options.CoreOptions;
import org.eclipse.elk.core.options.Direction;
import org.eclipse.elk.core.options.EdgeRouting;
import org.eclipse.elk.core.util.BasicProgressMonitor;
import org.eclipse.elk.graph.ElkBendPoint;
import org.eclipse.elk.graph.ElkEdge;
import org.eclipse.elk.graph.ElkEdgeSection;
import org.eclipse.elk.graph.ElkNode;
import org.eclipse.elk.graph.util.ElkGraphUtil;
import org.polaris.workbench.engine.job.CancellationToken;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Positions of one {@link ModelGraph} level from Eclipse ELK's layered algorithm (Sugiyama style, top to bottom,
 * orthogonal edges), the layout Netron-like graph views use.
 *
 * @param boxes node id to its box
 * @param routes one polyline per edge, in {@link ModelGraph#edges()} order: x0, y0, x1, y1, ...
 * @param millis how long ELK took
 */
public record GraphLayout(double width, double height, Map<String, Box> boxes, List<double[]> routes, long millis) {

    /** Text metrics of node boxes (11 px sans): widest character, line pitch, inner margin. */
    public static final double CHAR_WIDTH = 6.6;
    public static final double LINE_HEIGHT = 14;
    public static final double PADDING = 8;

    /** More nodes than this in one level are not laid out (ELK would take minutes); the view says so. */
    public static final int MAX_NODES = 50_000;
    private static final double MARGIN = 20;

    /** A node's box, top-left corner and size. */
    public record Box(double x, double y, double w, double h) {

        public boolean contains(double px, double py) {
            return px >= x && px <= x + w && py >= y && py <= y + h;
        }
    }

    static {
        LayoutMetaDataService.getInstance().registerLayoutMetaDataProviders(new LayeredMetaDataProvider());
    }

    /**
     * Lays out {@code graph}; checks {@code cancel} through ELK's progress monitor.
     *
     * @throws IllegalArgumentException when the level has more than {@link #MAX_NODES} nodes
     */
    public static GraphLayout of(ModelGraph graph, CancellationToken cancel) {
        if (graph.nodes().size() > MAX_NODES) {
            throw new IllegalArgumentException(graph.nodes().size() + " nodes in one graph level; the view lays out at most "
                    + MAX_NODES);
        }
        long t0 = System.nanoTime();
        ElkNode root = ElkGraphUtil.createGraph();
        root.setProperty(CoreOptions.ALGORITHM, LayeredOptions.ALGORITHM_ID);
        root.setProperty(CoreOptions.DIRECTION, Direction.DOWN);
        root.setProperty(CoreOptions.EDGE_ROUTING, EdgeRouting.ORTHOGONAL);
        root.setProperty(CoreOptions.SPACING_NODE_NODE, 24.0);
        root.setProperty(LayeredOptions.SPACING_NODE_NODE_BETWEEN_LAYERS, 28.0);
        root.setProperty(LayeredOptions.SPACING_EDGE_NODE_BETWEEN_LAYERS, 10.0);
        // fewer crossing-minimization sweeps: 1,000-node models in well under a second, still readable
        root.setProperty(LayeredOptions.THOROUGHNESS, 3);
        root.setProperty(CoreOptions.PADDING, new org.eclipse.elk.core.math.ElkPadding(MARGIN));
        Map<String, ElkNode> elk = new LinkedHashMap<>();
        for (GraphNode n : graph.nodes()) {
            ElkNode e = ElkGraphUtil.createNode(root);
            List<String> lines = NodeLabels.lines(n);
            e.setDimensions(NodeLabels.width(lines), NodeLabels.height(lines));
            elk.put(n.id(), e);
        }
        List<ElkEdge> edges = new ArrayList<>();
        for (ModelGraph.Edge e : graph.edges()) {
            edges.add(ElkGraphUtil.createSimpleEdge(elk.get(e.from()), elk.get(e.to())));
        }
        new LayeredLayoutProvider().layout(root, new BasicProgressMonitor() {
            @Override
            public boolean isCanceled() {
                return cancel.isCancelled();
            }
        });
        cancel.throwIfCancelled();
        Map<String, Box> boxes = new HashMap<>();
        elk.forEach((id, e) -> boxes.put(id, new Box(e.getX(), e.getY(), e.getWidth(), e.getHeight())));
        List<double[]> routes = new ArrayList<>(edges.size());
        for (ElkEdge e : edges) {
            routes.add(route(e));
        }
        return new GraphLayout(root.getWidth(), root.getHeight(), boxes, routes, (System.nanoTime() - t0) / 1_000_000);
    }

    private static double[] route(ElkEdge e) {
        if (e.getSections().isEmpty()) return new double[0];
        ElkEdgeSection s = e.getSections().get(0);
        double[] p = new double[4 + 2 * s.getBendPoints().size()];
        int k = 0;
        p[k++] = s.getStartX();
        p[k++] = s.getStartY();
        for (ElkBendPoint b : s.getBendPoints()) {
            p[k++] = b.getX();
            p[k++] = b.getY();
        }
        p[k++] = s.getEndX();
        p[k] = s.getEndY();
        return p;
    }

    /** The id of the node under (x, y), if any. */
    public java.util.Optional<String> nodeAt(double x, double y) {
        return boxes.entrySet().stream().filter(e -> e.getValue().contains(x, y)).map(Map.Entry::getKey).findFirst();
    }
}
