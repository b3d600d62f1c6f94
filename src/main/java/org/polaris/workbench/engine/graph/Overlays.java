package org.polaris.workbench.engine.graph;

import org.polaris.workbench.engine.exec.EngineSession;
import org.polaris.workbench.engine.runtime.NodeTiming;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Builds the Time, Placement and Sensitivity overlays from the engine's records (Compression: {@link CompressionOverlay}). */
public final class Overlays {

    /** Light to dark: the sequential scale of Time and Sensitivity (ColorBrewer YlOrRd, 5 classes). */
    static final int[] HEAT = {0xFFFFB2, 0xFECC5C, 0xFD8D3C, 0xF03B20, 0xBD0026};
    static final int CPU = 0x9ECAE1;
    static final int OPENCL = 0xFDAE6B;
    static final int PATH = 0xBD0026;
    static final int TRANSFER = 0xD62728;

    private Overlays() {
    }

    /**
     * Per-node time, coloured by its share of the level's total, with the slowest path (the chain of edges whose nodes
     * add up to the most time) highlighted. Timings are matched by node name; an ONNX Runtime kernel named after the
     * tensor it writes ({@code X_nchwc}, its layout-transformed fused nodes) goes to the node producing that tensor.
     */
    public static Overlay time(ModelGraph g, List<NodeTiming> timings, String source) {
        Map<String, String> byName = names(g);
        Map<String, String> byOutput = new HashMap<>();
        for (GraphNode n : g.nodes()) {
            if (n.isOperator()) n.outputs().forEach(o -> byOutput.put(o, n.id()));
        }
        Map<String, Long> nanos = new LinkedHashMap<>();
        long unmatched = 0;
        int unmatchedCount = 0;
        for (NodeTiming t : timings) {
            String id = byName.get(t.node());
            if (id == null && t.node().endsWith("_nchwc")) {
                id = byOutput.get(t.node().substring(0, t.node().length() - "_nchwc".length()));
            }
            if (id == null) {
                unmatched += t.nanos();
                unmatchedCount++;
            } else {
                nanos.merge(id, t.nanos(), Long::sum);
            }
        }
        long max = nanos.values().stream().mapToLong(Long::longValue).max().orElse(1);
        Map<String, Overlay.Mark> marks = new HashMap<>();
        nanos.forEach((id, ns) -> marks.put(id, new Overlay.Mark(HEAT[heatClass(ns / (double) Math.max(1, max))],
                ms(ns), ms(ns) + " per run")));
        List<Overlay.LegendEntry> legend = new ArrayList<>();
        for (int c = 0; c < HEAT.length; c++) {
            legend.add(new Overlay.LegendEntry(HEAT[c], String.format(Locale.ROOT, "%s to %s", ms((long) (max * BOUNDS[c])),
                    ms((long) (max * BOUNDS[c + 1])))));
        }
        legend.add(new Overlay.LegendEntry(PATH, "slowest path"));
        long total = nanos.values().stream().mapToLong(Long::longValue).sum();
        String note = String.format(Locale.ROOT, "%s in %d nodes", ms(total), nanos.size());
        long untimed = g.nodes().stream().filter(n -> n.isOperator() && !nanos.containsKey(n.id())).count();
        if (untimed > 0) note += "; " + untimed + " without a time of their own (folded or fused into a neighbour)";
        if (unmatchedCount > 0) {
            note += String.format(Locale.ROOT, "; %d runtime kernels match no node (%s)", unmatchedCount, ms(unmatched));
        }
        return new Overlay(Overlay.Kind.TIME, source, marks, legend, slowestPath(g, nanos), PATH, note);
    }

    /** Fractions of the largest value where the heat classes start (log-like: most nodes are small). */
    private static final double[] BOUNDS = {0, 0.05, 0.15, 0.35, 0.65, 1.0};

    static int heatClass(double fraction) {
        for (int c = HEAT.length - 1; c > 0; c--) {
            if (fraction > BOUNDS[c]) return c;
        }
        return 0;
    }

    /** The edges of the heaviest source-to-sink path, by dynamic programming in topological order. */
    static Set<ModelGraph.Edge> slowestPath(ModelGraph g, Map<String, Long> nanos) {
        Map<String, List<ModelGraph.Edge>> in = new HashMap<>();
        Map<String, Integer> indegree = new HashMap<>();
        Map<String, List<ModelGraph.Edge>> out = new HashMap<>();
        for (GraphNode n : g.nodes()) indegree.put(n.id(), 0);
        for (ModelGraph.Edge e : g.edges()) {
            in.computeIfAbsent(e.to(), k -> new ArrayList<>()).add(e);
            out.computeIfAbsent(e.from(), k -> new ArrayList<>()).add(e);
            indegree.merge(e.to(), 1, Integer::sum);
        }
        java.util.ArrayDeque<String> ready = new java.util.ArrayDeque<>();
        indegree.forEach((id, d) -> {
            if (d == 0) ready.add(id);
        });
        Map<String, Long> best = new HashMap<>();
        Map<String, ModelGraph.Edge> via = new HashMap<>();
        String end = null;
        while (!ready.isEmpty()) {
            String id = ready.poll();
            long here = best.getOrDefault(id, 0L) + nanos.getOrDefault(id, 0L);
            // ties go to the later node, so the path runs on to the output a slow node feeds
            if (end == null || here >= best.getOrDefault(end, 0L) + nanos.getOrDefault(end, 0L)) end = id;
            for (ModelGraph.Edge e : out.getOrDefault(id, List.of())) {
                if (here > best.getOrDefault(e.to(), -1L)) {
                    best.put(e.to(), here);
                    via.put(e.to(), e);
                }
                if (indegree.merge(e.to(), -1, Integer::sum) == 0) ready.add(e.to());
            }
        }
        Set<ModelGraph.Edge> path = new HashSet<>();
        for (String id = end; id != null && via.containsKey(id); id = via.get(id).from()) {
            if (!path.add(via.get(id))) break;
        }
        return path;
    }

    /**
     * Where each node ran in the engine's last run (CPU or the OpenCL device) with the reason; edges between nodes on
     * different units are the transfers, highlighted.
     */
    public static Overlay placement(ModelGraph g, List<EngineSession.Placement> placements, String source) {
        Map<String, String> byName = names(g);
        Map<String, EngineSession.Placement> where = new HashMap<>();
        for (EngineSession.Placement p : placements) {
            String id = byName.get(p.node());
            if (id != null) where.put(id, p);
        }
        Map<String, Overlay.Mark> marks = new HashMap<>();
        int gpu = 0;
        for (var e : where.entrySet()) {
            boolean dev = e.getValue().device() == EngineSession.Unit.OPENCL;
            gpu += dev ? 1 : 0;
            marks.put(e.getKey(), new Overlay.Mark(dev ? OPENCL : CPU, e.getValue().device().label(), e.getValue().reason()));
        }
        Set<ModelGraph.Edge> transfers = new HashSet<>();
        for (ModelGraph.Edge e : g.edges()) {
            EngineSession.Placement a = where.get(e.from());
            EngineSession.Placement b = where.get(e.to());
            boolean fromHost = a == null && g.node(e.from()).map(n -> !n.isOperator()).orElse(false);
            if (b != null && (a != null ? a.device() != b.device() : fromHost && b.device() == EngineSession.Unit.OPENCL)) {
                transfers.add(e);
            }
        }
        List<Overlay.LegendEntry> legend = List.of(new Overlay.LegendEntry(CPU, EngineSession.Unit.CPU.label()),
                new Overlay.LegendEntry(OPENCL, EngineSession.Unit.OPENCL.label()),
                new Overlay.LegendEntry(TRANSFER, "transfer between devices"));
        String note = String.format(Locale.ROOT, "%d of %d nodes on the OpenCL device, %d transfers", gpu, where.size(),
                transfers.size());
        return new Overlay(Overlay.Kind.PLACEMENT, source, marks, legend, transfers, TRANSFER, note);
    }

    /**
     * Per-layer sensitivity (higher is worse), coloured by its share of the largest; layers are matched by node name
     * or by the name of a weight they read.
     *
     * @param metric what the value is, e.g. "output change (1 - cosine)"
     */
    public static Overlay sensitivity(ModelGraph g, Map<String, Double> byLayer, String metric, String source) {
        Map<String, String> byName = names(g);
        for (GraphNode n : g.nodes()) {
            n.weights().forEach(w -> byName.putIfAbsent(w.name(), n.id()));
        }
        double max = byLayer.values().stream().filter(Double::isFinite).mapToDouble(Double::doubleValue).max().orElse(0);
        Map<String, Overlay.Mark> marks = new HashMap<>();
        int unmatched = 0;
        for (var e : byLayer.entrySet()) {
            String id = byName.get(e.getKey());
            if (id == null || !Double.isFinite(e.getValue())) {
                unmatched++;
                continue;
            }
            double f = max > 0 ? e.getValue() / max : 0;
            marks.put(id, new Overlay.Mark(HEAT[heatClass(f)], String.format(Locale.ROOT, "%.3g", e.getValue()),
                    metric + ": " + String.format(Locale.ROOT, "%.4g", e.getValue())));
        }
        List<Overlay.LegendEntry> legend = new ArrayList<>();
        for (int c = 0; c < HEAT.length; c++) {
            legend.add(new Overlay.LegendEntry(HEAT[c], String.format(Locale.ROOT, "%.3g to %.3g", max * BOUNDS[c], max * BOUNDS[c + 1])));
        }
        String note = marks.size() + " layers, " + metric + (unmatched > 0 ? "; " + unmatched + " not in this graph level" : "");
        return new Overlay(Overlay.Kind.SENSITIVITY, source, marks, legend, Set.of(), 0, note);
    }

    static final int REMOVED = 0xF4A582;
    static final int ADDED = 0xA6DBA0;

    /**
     * The Compare view's marks on one side of a diff: nodes the other model lacks (removed from A, added in B), and
     * on matched nodes the relative output change, coloured like Time.
     *
     * @param sideA true for model A's graph, false for B's
     */
    public static Overlay diff(DiffReport r, boolean sideA) {
        Map<String, Overlay.Mark> marks = new HashMap<>();
        double max = r.rows().stream().filter(x -> x.relativeError() != null && Double.isFinite(x.relativeError()))
                .mapToDouble(DiffReport.Row::relativeError).max().orElse(0);
        for (DiffReport.Row x : r.rows()) {
            String id = sideA ? x.nodeA() : x.nodeB();
            if (id == null) continue;
            if (x.match() == DiffReport.Match.REMOVED || x.match() == DiffReport.Match.ADDED) {
                boolean removed = x.match() == DiffReport.Match.REMOVED;
                marks.put(id, new Overlay.Mark(removed ? REMOVED : ADDED, removed ? "removed" : "added",
                        (removed ? "only in " + r.modelA() : "only in " + r.modelB()) + " (" + (removed ? x.opA() : x.opB()) + ")"));
            } else if (x.relativeError() != null) {
                double f = max > 0 && Double.isFinite(x.relativeError()) ? x.relativeError() / max : 0;
                marks.put(id, new Overlay.Mark(HEAT[heatClass(f)], String.format(Locale.ROOT, "%.2g", x.relativeError()),
                        String.format(Locale.ROOT, "matched by %s with %s; output change %.3g of its largest value "
                                + "(cosine %.6f, max |error| %.4g)", x.match().name().toLowerCase(Locale.ROOT),
                                sideA ? x.nodeB() : x.nodeA(), x.relativeError(), x.cosine(), x.maxAbsError())));
            } else {
                marks.put(id, new Overlay.Mark(0xDDDDDD, "", "matched by " + x.match().name().toLowerCase(Locale.ROOT)
                        + " with " + (sideA ? x.nodeB() : x.nodeA()) + (x.remark().isEmpty() ? "" : "; " + x.remark())));
            }
        }
        List<Overlay.LegendEntry> legend = new ArrayList<>();
        legend.add(new Overlay.LegendEntry(sideA ? REMOVED : ADDED, sideA ? "only in " + r.modelA() : "only in " + r.modelB()));
        for (int c = 0; c < HEAT.length; c++) {
            legend.add(new Overlay.LegendEntry(HEAT[c], String.format(Locale.ROOT, "output change %.2g to %.2g",
                    max * BOUNDS[c], max * BOUNDS[c + 1])));
        }
        legend.add(new Overlay.LegendEntry(0xDDDDDD, "matched, output not compared"));
        String note = String.format(Locale.ROOT, "%d matched by name, %d by structure, %d removed, %d added", r.matchedByName(),
                r.matchedByStructure(), r.removed(), r.added());
        return new Overlay(Overlay.Kind.DIFF, r.modelA() + " vs " + r.modelB() + " on " + r.input(), marks, legend, Set.of(), 0, note);
    }

    /** Node name (and id) to id, for the operators of the level. */
    static Map<String, String> names(ModelGraph g) {
        Map<String, String> m = new HashMap<>();
        for (GraphNode n : g.nodes()) {
            if (!n.isOperator()) continue;
            m.put(n.id(), n.id());
            if (!n.name().isEmpty()) m.putIfAbsent(n.name(), n.id());
        }
        return m;
    }

    static String ms(long nanos) {
        return String.format(Locale.ROOT, nanos >= 10_000_000 ? "%.1f ms" : "%.3f ms", nanos / 1e6);
    }
}
