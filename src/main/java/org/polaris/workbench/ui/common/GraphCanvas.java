package org.polaris.workbench.ui.common;

import javafx.geometry.VPos;
import javafx.scene.canvas.Canvas;
import javafx.scene.canvas.GraphicsContext;
import javafx.scene.layout.Region;
import javafx.scene.paint.Color;
import javafx.scene.text.Font;
import javafx.scene.text.FontWeight;
import javafx.scene.text.TextAlignment;
import org.polaris.workbench.engine.graph.GraphLayout;
import org.polaris.workbench.engine.graph.GraphNode;
import org.polaris.workbench.engine.graph.ModelGraph;
import org.polaris.workbench.engine.graph.Overlay;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Draws one laid-out graph level on a canvas with pan and zoom. Only what intersects the viewport is drawn, text
 * only where it is legible, so a 2,500-node detector redraws within a frame; each redraw's cost goes into a ring
 * buffer ({@link #frameMillis}) that the frame-timing benchmark and tests read.
 */
public final class GraphCanvas extends Region {

    static final double MIN_SCALE = 0.01;
    static final double MAX_SCALE = 4;
    /** Zoom below which boxes are drawn as plain filled rectangles, without outline or rounded corners. */
    static final double OUTLINE_SCALE = 0.15;
    /** Zoom below which box text is not drawn (11 px would be under 5 px on screen). */
    static final double TEXT_SCALE = 0.45;
    private static final Font FONT = Font.font("SansSerif", 11);
    private static final Font BOLD = Font.font("SansSerif", FontWeight.BOLD, 11);
    private static final Font SMALL = Font.font("SansSerif", 9);
    private static final int FRAMES = 240;

    private final Canvas canvas = new Canvas();
    private ModelGraph graph;
    private GraphLayout layout;
    private Overlay overlay = Overlay.none();
    private GraphNode selected;
    private Set<String> matches = Set.of();
    private Map<String, List<String>> lines = Map.of();
    private double scale = 1;
    private double tx;
    private double ty;
    private final double[] frameMillis = new double[FRAMES];
    private int frames;
    private int drawnNodes;

    public GraphCanvas() {
        getChildren().add(canvas);
        setFocusTraversable(true);
        getStyleClass().add("graph-canvas");
    }

    public void show(ModelGraph g, GraphLayout l) {
        boolean sameLevel = graph != null && g != null && layout == l;
        graph = g;
        layout = l;
        lines = new HashMap<>();
        if (g != null) g.nodes().forEach(n -> lines.put(n.id(), n.lines()));
        if (!sameLevel) fit();
        redraw();
    }

    public void overlay(Overlay o) {
        overlay = o == null ? Overlay.none() : o;
        redraw();
    }

    public void highlight(GraphNode sel, Set<String> found) {
        selected = sel;
        matches = found;
        redraw();
    }

    /**
     * The whole width in view (at most 100 %), top of the graph at the top; a tall graph that would need less than
     * 60 % to fit whole keeps 60 % (legible text) and is scrolled.
     */
    public void fit() {
        if (layout == null || getWidth() <= 0) return;
        scale = clamp(Math.min(1, Math.min(getWidth() / layout.width(), Math.max(getHeight() / layout.height(), 0.6))));
        tx = (getWidth() - layout.width() * scale) / 2;
        ty = 0;
        redraw();
    }

    public void zoomAt(double factor, double sx, double sy) {
        double s = clamp(scale * factor);
        tx = sx - (sx - tx) * s / scale;
        ty = sy - (sy - ty) * s / scale;
        scale = s;
        redraw();
        moved.accept(new double[] {1, factor, sx, sy});
    }

    public void panBy(double dx, double dy) {
        tx += dx;
        ty += dy;
        redraw();
        moved.accept(new double[] {0, dx, dy});
    }

    private java.util.function.Consumer<double[]> moved = m -> { };

    /**
     * Told of every pan ({0, dx, dy}) and zoom ({1, factor, x, y}), so a second canvas can follow (the Compare
     * view's synchronized pan and zoom).
     */
    public void setOnMoved(java.util.function.Consumer<double[]> listener) {
        moved = listener == null ? m -> { } : listener;
    }

    /** Applies a move another canvas reported, without reporting it again. */
    public void follow(double[] m) {
        java.util.function.Consumer<double[]> own = moved;
        moved = x -> { };
        try {
            if (m[0] == 0) panBy(m[1], m[2]);
            else zoomAt(m[1], m[2], m[3]);
        } finally {
            moved = own;
        }
    }

    /** Centres node {@code id}, zooming in to legible text if needed. */
    public void center(String id) {
        GraphLayout.Box b = layout == null ? null : layout.boxes().get(id);
        if (b == null) return;
        scale = Math.max(scale, 0.8);
        tx = getWidth() / 2 - (b.x() + b.w() / 2) * scale;
        ty = getHeight() / 2 - (b.y() + b.h() / 2) * scale;
        redraw();
    }

    public Optional<GraphNode> nodeAt(double sx, double sy) {
        if (layout == null) return Optional.empty();
        return layout.nodeAt((sx - tx) / scale, (sy - ty) / scale).flatMap(graph::node);
    }

    /** Where node {@code id}'s centre is drawn, in this region's coordinates. */
    public Optional<javafx.geometry.Point2D> pointOf(String id) {
        GraphLayout.Box b = layout == null ? null : layout.boxes().get(id);
        return b == null ? Optional.empty()
                : Optional.of(new javafx.geometry.Point2D((b.x() + b.w() / 2) * scale + tx, (b.y() + b.h() / 2) * scale + ty));
    }

    public Optional<GraphNode> nodeById(String id) {
        return graph == null ? Optional.empty() : graph.node(id);
    }

    public double scale() {
        return scale;
    }

    /** Milliseconds of the last {@code n} redraws (at most 240), oldest first. */
    public double[] frameMillis(int n) {
        int k = Math.min(n, Math.min(frames, FRAMES));
        double[] out = new double[k];
        for (int i = 0; i < k; i++) out[i] = frameMillis[(frames - k + i) % FRAMES];
        return out;
    }

    public int frames() {
        return frames;
    }

    /** Boxes drawn by the last redraw (those in the viewport). */
    public int drawnNodes() {
        return drawnNodes;
    }

    @Override
    protected void layoutChildren() {
        boolean first = canvas.getWidth() == 0 && getWidth() > 0;
        canvas.setWidth(getWidth());
        canvas.setHeight(getHeight());
        if (first) fit();
        redraw();
    }

    private static double clamp(double s) {
        return Math.max(MIN_SCALE, Math.min(MAX_SCALE, s));
    }

    public void redraw() {
        long t0 = System.nanoTime();
        GraphicsContext gc = canvas.getGraphicsContext2D();
        gc.setTransform(1, 0, 0, 1, 0, 0);
        gc.setFill(Color.WHITE);
        gc.fillRect(0, 0, canvas.getWidth(), canvas.getHeight());
        drawnNodes = 0;
        if (graph == null || layout == null) return;
        double x0 = -tx / scale;
        double y0 = -ty / scale;
        double x1 = (canvas.getWidth() - tx) / scale;
        double y1 = (canvas.getHeight() - ty) / scale;
        gc.setTransform(scale, 0, 0, scale, tx, ty);
        drawEdges(gc, x0, y0, x1, y1);
        boolean text = scale >= TEXT_SCALE;
        gc.setTextBaseline(VPos.BASELINE);
        gc.setTextAlign(TextAlignment.LEFT);
        for (GraphNode n : graph.nodes()) {
            GraphLayout.Box b = layout.boxes().get(n.id());
            if (b == null || b.x() > x1 || b.y() > y1 || b.x() + b.w() < x0 || b.y() + b.h() < y0) continue;
            drawnNodes++;
            Overlay.Mark m = overlay.marks().get(n.id());
            boolean sel = selected != null && selected.id().equals(n.id());
            if (scale < OUTLINE_SCALE && !sel && !matches.contains(n.id())) {
                // the whole of a large graph in view: a filled square per box (its outline would be under a pixel)
                gc.setFill(m != null ? rgb(m.rgb()) : Color.web("#9a9a9a"));
                gc.fillRect(b.x(), b.y(), b.w(), b.h());
                continue;
            }
            gc.setFill(m != null ? rgb(m.rgb()) : n.isOperator() ? Color.web("#f4f4f4") : Color.web("#e8e8e8"));
            double r = n.isOperator() ? 6 : 18;
            gc.fillRoundRect(b.x(), b.y(), b.w(), b.h(), r, r);
            gc.setStroke(sel ? Color.web("#1f6fd1") : matches.contains(n.id()) ? Color.web("#e6550d") : Color.web("#555555"));
            gc.setLineWidth(sel || matches.contains(n.id()) ? 3 / Math.min(1, scale) : 1 / scale);
            gc.strokeRoundRect(b.x(), b.y(), b.w(), b.h(), r, r);
            if (!text) continue;
            gc.setFill(m != null && dark(m.rgb()) ? Color.WHITE : Color.BLACK);
            List<String> ls = lines.get(n.id());
            for (int k = 0; k < ls.size(); k++) {
                gc.setFont(k == 0 ? BOLD : FONT);
                gc.fillText(ls.get(k), b.x() + GraphLayout.PADDING,
                        b.y() + GraphLayout.PADDING / 2 + (k + 1) * GraphLayout.LINE_HEIGHT - 3);
            }
            if (m != null && !m.value().isEmpty() && scale >= 0.6) {
                gc.setFont(SMALL);
                gc.setFill(Color.web("#333333"));
                gc.fillText(m.value(), b.x() + b.w() + 4, b.y() + 11);
            }
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        frameMillis[frames % FRAMES] = ms;
        frames++;
    }

    private void drawEdges(GraphicsContext gc, double x0, double y0, double x1, double y1) {
        // plain edges as one path, stroked once (thousands of separate strokes cost the software renderer most of a
        // frame with a whole detector in view), then the highlighted ones over them
        gc.setStroke(Color.web("#777777"));
        gc.setLineWidth(1 / Math.min(1, scale));
        gc.beginPath();
        for (int i = 0; i < graph.edges().size() && i < layout.routes().size(); i++) {
            double[] p = layout.routes().get(i);
            if (p.length < 4 || outside(p, x0, y0, x1, y1) || overlay.highlighted().contains(graph.edges().get(i))) continue;
            gc.moveTo(p[0], p[1]);
            for (int k = 2; k < p.length; k += 2) gc.lineTo(p[k], p[k + 1]);
        }
        gc.stroke();
        boolean labels = scale >= 0.8;
        for (int i = 0; i < graph.edges().size() && i < layout.routes().size(); i++) {
            double[] p = layout.routes().get(i);
            if (p.length < 4 || outside(p, x0, y0, x1, y1)) continue;
            ModelGraph.Edge e = graph.edges().get(i);
            boolean hi = overlay.highlighted().contains(e);
            gc.setStroke(hi ? rgb(overlay.highlightColor()) : Color.web("#777777"));
            if (hi) {
                gc.setLineWidth(3 / Math.min(1, scale));
                gc.beginPath();
                gc.moveTo(p[0], p[1]);
                for (int k = 2; k < p.length; k += 2) gc.lineTo(p[k], p[k + 1]);
                gc.stroke();
            }
            if (scale >= 0.3) arrow(gc, p);
            if (labels && !e.shape().isEmpty()) {
                gc.setFont(SMALL);
                gc.setFill(Color.web("#555555"));
                gc.fillText(e.shape(), p[0] + 4, p[1] + 11);
            }
        }
    }

    private static boolean outside(double[] p, double x0, double y0, double x1, double y1) {
        double minX = Double.MAX_VALUE, minY = Double.MAX_VALUE, maxX = -Double.MAX_VALUE, maxY = -Double.MAX_VALUE;
        for (int k = 0; k < p.length; k += 2) {
            minX = Math.min(minX, p[k]);
            maxX = Math.max(maxX, p[k]);
            minY = Math.min(minY, p[k + 1]);
            maxY = Math.max(maxY, p[k + 1]);
        }
        return minX > x1 || maxX < x0 || minY > y1 || maxY < y0;
    }

    private static void arrow(GraphicsContext gc, double[] p) {
        int n = p.length;
        double ex = p[n - 2], ey = p[n - 1];
        double dx = ex - p[n - 4], dy = ey - p[n - 3];
        double len = Math.hypot(dx, dy);
        if (len == 0) return;
        dx /= len;
        dy /= len;
        gc.setFill(gc.getStroke());
        gc.fillPolygon(new double[] {ex, ex - 7 * dx + 3.5 * dy, ex - 7 * dx - 3.5 * dy},
                new double[] {ey, ey - 7 * dy - 3.5 * dx, ey - 7 * dy + 3.5 * dx}, 3);
    }

    /** Fills dark enough that black text would not read on them. */
    static boolean dark(int rgb) {
        double l = 0.299 * ((rgb >> 16) & 0xFF) + 0.587 * ((rgb >> 8) & 0xFF) + 0.114 * (rgb & 0xFF);
        return l < 110;
    }

    public static Color rgb(int rgb) {
        return Color.rgb((rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF);
    }

    /** The canvas, for snapshots (PNG export). */
    public Canvas canvas() {
        return canvas;
    }
}
