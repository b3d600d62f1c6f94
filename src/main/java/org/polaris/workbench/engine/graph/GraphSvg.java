package org.polaris.workbench.engine.graph;

import java.util.List;
import java.util.Locale;

/**
 * Writes a laid-out graph level, with an overlay and its legend, as a standalone SVG document: the same boxes, text
 * lines and colours as the canvas ({@link NodeLabels}, {@link Overlay}).
 */
public final class GraphSvg {

    static final int OPERATOR_FILL = 0xF4F4F4;
    static final int IO_FILL = 0xE8E8E8;
    static final int EDGE = 0x777777;
    private static final double LEGEND_WIDTH = 260;

    private GraphSvg() {
    }

    public static String write(ModelGraph g, GraphLayout layout, Overlay overlay) {
        int legendRows = overlay.legend().size() + (overlay.kind() == Overlay.Kind.NONE ? 0 : 2);
        double legendHeight = legendRows == 0 ? 0 : legendRows * 16 + 12;
        double w = layout.width() + (legendRows == 0 ? 0 : LEGEND_WIDTH);
        double h = Math.max(layout.height(), legendHeight);
        StringBuilder s = new StringBuilder(256 + g.nodes().size() * 300);
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
                + "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"11\">%n", w, h, w, h));
        s.append("<title>").append(esc(title(g))).append("</title>\n");
        s.append("<defs><marker id=\"arrow\" viewBox=\"0 0 8 8\" refX=\"8\" refY=\"4\" markerWidth=\"7\" markerHeight=\"7\" "
                + "orient=\"auto\"><path d=\"M0,0 L8,4 L0,8 z\" fill=\"#777777\"/></marker></defs>\n");
        s.append("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
        for (int i = 0; i < g.edges().size(); i++) {
            ModelGraph.Edge e = g.edges().get(i);
            double[] p = layout.routes().get(i);
            if (p.length < 4) continue;
            boolean hi = overlay.highlighted().contains(e);
            s.append("<polyline fill=\"none\" stroke=\"").append(hi ? hex(overlay.highlightColor()) : hex(EDGE))
                    .append("\" stroke-width=\"").append(hi ? "3" : "1").append("\" marker-end=\"url(#arrow)\" points=\"");
            for (int k = 0; k < p.length; k += 2) s.append(String.format(Locale.ROOT, "%.1f,%.1f ", p[k], p[k + 1]));
            s.append("\"><title>").append(esc(e.tensor() + (e.shape().isEmpty() ? "" : " " + e.shape()))).append("</title></polyline>\n");
            if (!e.shape().isEmpty()) {
                s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" fill=\"#555555\">", p[0] + 4,
                        p[1] + 11)).append(esc(NodeLabels.clip(e.shape()))).append("</text>\n");
            }
        }
        for (GraphNode n : g.nodes()) {
            GraphLayout.Box b = layout.boxes().get(n.id());
            Overlay.Mark m = overlay.marks().get(n.id());
            int fill = m != null ? m.rgb() : n.isOperator() ? OPERATOR_FILL : IO_FILL;
            s.append("<g><title>").append(esc(n.name().isEmpty() ? n.id() : n.name()))
                    .append(m == null ? "" : esc("\n" + m.tooltip())).append("</title>");
            s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"%d\" fill=\"%s\" stroke=\"#555555\"/>",
                    b.x(), b.y(), b.w(), b.h(), n.isOperator() ? 3 : 9, hex(fill)));
            List<String> lines = NodeLabels.lines(n);
            for (int k = 0; k < lines.size(); k++) {
                s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\"%s>", b.x() + NodeLabels.PADDING,
                        b.y() + NodeLabels.PADDING / 2 + (k + 1) * NodeLabels.LINE_HEIGHT - 3, k == 0 ? " font-weight=\"bold\"" : ""))
                        .append(esc(lines.get(k))).append("</text>");
            }
            if (m != null && !m.value().isEmpty()) {
                s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#333333\">", b.x() + b.w() + 4,
                        b.y() + 11)).append(esc(m.value())).append("</text>");
            }
            s.append("</g>\n");
        }
        if (legendRows > 0) legend(s, overlay, layout.width() + 10);
        s.append("</svg>\n");
        return s.toString();
    }

    private static void legend(StringBuilder s, Overlay o, double x) {
        double y = 20;
        s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-weight=\"bold\">%s</text>%n", x, y, esc(o.kind().label())));
        y += 16;
        s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\">%s</text>%n", x, y,
                esc(NodeLabels.clip(o.source()))));
        for (Overlay.LegendEntry e : o.legend()) {
            y += 16;
            s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\" stroke=\"#555555\"/>"
                    + "<text x=\"%.1f\" y=\"%.1f\">%s</text>%n", x, y - 10, hex(e.rgb()), x + 18, y, esc(e.label())));
        }
    }

    static String title(ModelGraph g) {
        return g.path().isEmpty() ? g.name() : g.name() + " (" + String.join(" › ", g.path()) + ")";
    }

    static String hex(int rgb) {
        return String.format(Locale.ROOT, "#%06x", rgb & 0xFFFFFF);
    }

    static String esc(String t) {
        StringBuilder b = new StringBuilder(t.length());
        for (char c : t.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                default -> {
                    if (c >= 0x20 || c == '\n' || c == '\t') b.append(c);
                }
            }
        }
        return b.toString();
    }
}
