package org.polaris.workbench.engine.graph;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one overlay paints on a graph level: a colour and a value per node, the legend, the edges it highlights
 * (the slowest path, transfers between devices), and where its numbers came from. The canvas and the SVG writer both
 * draw from this record.
 *
 * @param source the model, runtime and settings that produced the numbers, shown beside the legend
 * @param marks node id to its mark; nodes without one are drawn plain
 * @param highlighted edges drawn bold in {@link #highlightColor}
 * @param note what could not be shown, e.g. "4 ONNX Runtime kernels match no node (0.12 ms)"; empty when nothing
 */
public record Overlay(Kind kind, String source, Map<String, Mark> marks, List<LegendEntry> legend,
                      Set<ModelGraph.Edge> highlighted, int highlightColor, String note) {

    public enum Kind {
        NONE("None"), TIME("Time"), COMPRESSION("Compression"), PLACEMENT("Placement"), SENSITIVITY("Sensitivity"),
        /** The Compare view's marks: unmatched nodes and the output change of matched ones. */
        DIFF("Diff");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /**
     * @param rgb fill colour, 0xRRGGBB
     * @param value short text drawn in the box's corner, e.g. {@code 1.24 ms} or {@code int8 · 50%}
     * @param tooltip the longer explanation shown on hover and in the details
     */
    public record Mark(int rgb, String value, String tooltip) {
    }

    public record LegendEntry(int rgb, String label) {
    }

    public Overlay {
        marks = Map.copyOf(marks);
        legend = List.copyOf(legend);
        highlighted = Set.copyOf(highlighted);
    }

    /** The overlays a user picks in the graph tab (Diff belongs to the Compare view). */
    public static List<Kind> selectable() {
        return List.of(Kind.NONE, Kind.TIME, Kind.COMPRESSION, Kind.PLACEMENT, Kind.SENSITIVITY);
    }

    public static Overlay none() {
        return new Overlay(Kind.NONE, "", Map.of(), List.of(), Set.of(), 0, "");
    }
}
