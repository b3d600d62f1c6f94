package org.polaris.workbench.engine.graph;

import org.polaris.workbench.engine.exec.EngineSession;
import org.polaris.workbench.engine.exec.UnsupportedOpsException;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.runtime.NodeTiming;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Compares two versions of a model (original and quantized, pruned, or re-exported): pairs their operators
 * ({@link NodeMatcher}), then runs both on the engine as written, on the same input, and compares each pair's output
 * tensor and time.
 */
public final class GraphDiff {

    /** Floats of model A's outputs kept for comparison (1 GiB); pairs past it are reported as not compared. */
    static final long MAX_KEPT_FLOATS = 256L << 20;
    /** Profiled runs per model after the warm-up; each node's median is reported. */
    static final int RUNS = 5;

    private GraphDiff() {
    }

    private record Kept(int[] shape, float[] values) {
    }

    /** @param input where {@code feeds} came from, for the report */
    public static DiffReport compare(String nameA, OnnxModel a, String nameB, OnnxModel b, Map<String, Tensor> feeds,
                                     String input, EnginePool pool, ProgressSink progress, CancellationToken cancel) {
        ModelGraph ga = ModelGraph.of(a.graph());
        ModelGraph gb = ModelGraph.of(b.graph());
        List<NodeMatcher.Pair> pairs = NodeMatcher.match(ga, gb);
        Map<String, NodeMatcher.Pair> byA = new HashMap<>();
        Map<String, NodeMatcher.Pair> byB = new HashMap<>();
        for (NodeMatcher.Pair p : pairs) {
            if (p.a() != null && p.b() != null) {
                byA.put(p.a().id(), p);
                byB.put(p.b().id(), p);
            }
        }
        // A's outputs of paired nodes, by tensor name; B's values are compared by the same tensor name first (a
        // rewrite that reorders nodes, as Relu/MaxPool swaps do, keeps the names of the values that still agree),
        // else by its paired node's first output
        Map<String, String> ownerA = new HashMap<>();
        Map<String, String> viaPair = new HashMap<>();
        java.util.Set<String> tensorsB = new java.util.HashSet<>();
        gb.nodes().forEach(n -> tensorsB.addAll(n.outputs()));
        for (NodeMatcher.Pair p : byA.values()) {
            ownerA.put(p.a().outputs().get(0), p.a().id());
            if (!tensorsB.contains(p.a().outputs().get(0))) viaPair.put(p.b().outputs().get(0), p.a().outputs().get(0));
        }
        Map<String, Kept> kept = new HashMap<>();
        Map<String, double[]> stats = new HashMap<>(); // A id -> cosine, max abs, relative
        Map<String, String> remarks = new HashMap<>();
        Map<String, Long> nanosA = new HashMap<>();
        Map<String, Long> nanosB = new HashMap<>();
        String note = "";
        try (EngineSession sa = EngineSession.loadAsWritten(a, pool); EngineSession sb = EngineSession.loadAsWritten(b, pool)) {
            progress.progress(0.1, "running " + nameA);
            long[] budget = {MAX_KEPT_FLOATS};
            sa.run(feeds, false, (node, tensor, shape, values) -> {
                if (!ownerA.containsKey(tensor) || kept.containsKey(tensor)) return;
                long n = count(shape);
                if (n <= budget[0]) {
                    budget[0] -= n;
                    kept.put(tensor, new Kept(shape, values.get()));
                } else {
                    remarks.put(ownerA.get(tensor), "not compared: over the memory kept for the diff");
                }
            });
            cancel.throwIfCancelled();
            progress.progress(0.3, "running " + nameB);
            sb.run(feeds, false, (node, tensor, shape, values) -> {
                String t = kept.containsKey(tensor) ? tensor : viaPair.get(tensor);
                Kept k = t == null ? null : kept.get(t);
                String owner = t == null ? null : ownerA.get(t);
                if (k == null || stats.containsKey(owner)) return;
                if (!java.util.Arrays.equals(k.shape(), shape)) {
                    remarks.putIfAbsent(owner, "shapes differ: " + java.util.Arrays.toString(k.shape()) + " vs "
                            + java.util.Arrays.toString(shape));
                    return;
                }
                NodeMatcher.Pair p = byB.get(node);
                float[] y = p == null ? values.get() : dequantized(p.b(), values.get());
                stats.put(owner, compare(k.values(), y));
                remarks.remove(owner);
            });
            kept.clear();
            progress.progress(0.5, "timing both models");
            times(sa, sb, feeds, nanosA, nanosB, cancel);
        } catch (UnsupportedOpsException e) {
            note = "outputs and times not compared: " + e.getMessage();
        } catch (RuntimeException e) {
            if (e instanceof org.polaris.workbench.engine.job.CancelledException) throw e;
            note = "outputs and times not compared: " + e.getMessage();
        }
        progress.progress(0.9, "comparing");
        return report(nameA, nameB, input, ga, gb, pairs, stats, remarks, nanosA, nanosB, note);
    }

    /** Warm-up: at least this long and {@link #MIN_WARMUP_RUNS} runs of each model, at most {@link #MAX_WARMUP_RUNS}. */
    static final long WARMUP_NANOS = 1_000_000_000L;
    static final int MIN_WARMUP_RUNS = 2;
    static final int MAX_WARMUP_RUNS = 50;

    /**
     * Per-node times of both models, measured as {@code bench} measures: a time-based warm-up (so the JIT has compiled
     * the kernels the times are of), then {@link #RUNS} profiled runs of each, interleaved; each node's median.
     */
    private static void times(EngineSession sa, EngineSession sb, Map<String, Tensor> feeds, Map<String, Long> nanosA,
                              Map<String, Long> nanosB, CancellationToken cancel) {
        long end = System.nanoTime() + WARMUP_NANOS;
        for (int r = 0; r < MAX_WARMUP_RUNS && (r < MIN_WARMUP_RUNS || System.nanoTime() < end); r++) {
            cancel.throwIfCancelled();
            sa.run(feeds, false);
            sb.run(feeds, false);
        }
        List<List<NodeTiming>> runsA = new ArrayList<>();
        List<List<NodeTiming>> runsB = new ArrayList<>();
        for (int r = 0; r < RUNS; r++) {
            cancel.throwIfCancelled();
            sa.run(feeds, true);
            runsA.add(sa.lastProfile());
            sb.run(feeds, true);
            runsB.add(sb.lastProfile());
        }
        NodeTiming.median(runsA).forEach(t -> nanosA.put(t.node(), t.nanos()));
        NodeTiming.median(runsB).forEach(t -> nanosB.put(t.node(), t.nanos()));
    }

    private static long count(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    /** A QOperator node's integer codes as the real values they stand for (its y_scale and y_zero_point). */
    static float[] dequantized(GraphNode n, float[] y) {
        Tensor scale = null;
        Tensor zero = null;
        for (GraphNode.FoldedWeight w : n.weights()) {
            if (w.role().equals("y_scale")) scale = w.tensor();
            if (w.role().equals("y_zero_point")) zero = w.tensor();
        }
        if (!(n.opType().startsWith("QLinear") || n.opType().equals("QuantizeLinear")) || scale == null
                || scale.elementCount() != 1) {
            return y;
        }
        float s = scale.toFloats()[0];
        float z = zero == null ? 0 : zero.toFloats()[0];
        float[] out = new float[y.length];
        for (int i = 0; i < y.length; i++) out[i] = (y[i] - z) * s;
        return out;
    }

    /** Cosine similarity, largest absolute difference, and that over x's largest magnitude. */
    static double[] compare(float[] x, float[] y) {
        double dot = 0, nx = 0, ny = 0, maxAbs = 0, maxX = 0;
        for (int i = 0; i < x.length; i++) {
            dot += (double) x[i] * y[i];
            nx += (double) x[i] * x[i];
            ny += (double) y[i] * y[i];
            maxAbs = Math.max(maxAbs, Math.abs(x[i] - y[i]));
            maxX = Math.max(maxX, Math.abs(x[i]));
        }
        double cos = nx == 0 && ny == 0 ? 1 : nx == 0 || ny == 0 ? 0 : dot / Math.sqrt(nx * ny);
        return new double[] {cos, maxAbs, maxX == 0 ? (maxAbs == 0 ? 0 : Double.POSITIVE_INFINITY) : maxAbs / maxX};
    }

    private static DiffReport report(String nameA, String nameB, String input, ModelGraph ga, ModelGraph gb,
                                     List<NodeMatcher.Pair> pairs, Map<String, double[]> stats, Map<String, String> remarks,
                                     Map<String, Long> nanosA, Map<String, Long> nanosB, String note) {
        Map<String, GraphNode> producerA = producers(ga);
        Map<String, GraphNode> producerB = producers(gb);
        List<DiffReport.Row> rows = new ArrayList<>();
        int byName = 0, byStructure = 0, removed = 0, added = 0;
        for (NodeMatcher.Pair p : pairs) {
            GraphNode x = p.a();
            GraphNode y = p.b();
            switch (p.how()) {
                case NAME -> byName++;
                case STRUCTURE -> byStructure++;
                case REMOVED -> removed++;
                case ADDED -> added++;
            }
            double[] st = x == null ? null : stats.get(x.id());
            Double addedError = null;
            if (st != null) {
                double in = 0;
                for (String t : x.inputs()) {
                    GraphNode src = producerA.get(t);
                    double[] s = src == null ? null : stats.get(src.id());
                    if (s != null) in = Math.max(in, s[2]);
                }
                addedError = st[2] - in;
            }
            Tensor wa = x == null ? null : CompressionOverlay.mainWeight(x, producerA);
            Tensor wb = y == null ? null : CompressionOverlay.mainWeight(y, producerB);
            String remark = x == null ? "" : remarks.getOrDefault(x.id(), "");
            if (st == null && remark.isEmpty() && x != null && y != null && note.isEmpty()) {
                remark = "not compared: " + nameB + " has no tensor " + x.outputs().get(0) + " (the nodes were reordered or fused)";
            }
            rows.add(new DiffReport.Row(x == null ? null : x.id(), y == null ? null : y.id(),
                    x == null ? null : x.opType(), y == null ? null : y.opType(),
                    DiffReport.Match.valueOf(p.how().name()), dtype(wa), dtype(wb), bytes(x, producerA), bytes(y, producerB),
                    sparsity(wa), sparsity(wb), x == null ? null : x.outputs().get(0),
                    st == null ? null : st[0], st == null ? null : st[1], st == null ? null : st[2], addedError,
                    ms(x == null ? null : nanosA.get(x.id())), ms(y == null ? null : nanosB.get(y.id())), remark));
        }
        int opsA = (int) ga.nodes().stream().filter(GraphNode::isOperator).count();
        int opsB = (int) gb.nodes().stream().filter(GraphNode::isOperator).count();
        return new DiffReport(nameA, nameB, input, opsA, opsB, byName, byStructure, removed, added, rows, note);
    }

    private static Map<String, GraphNode> producers(ModelGraph g) {
        Map<String, GraphNode> m = new HashMap<>();
        for (GraphNode n : g.nodes()) {
            if (n.isOperator()) n.outputs().forEach(o -> m.put(o, n));
        }
        return m;
    }

    private static String dtype(Tensor w) {
        return w == null ? "" : w.dataType().displayName();
    }

    private static Double sparsity(Tensor w) {
        if (w == null) return null;
        double z = CompressionOverlay.zeroFraction(w);
        return Double.isNaN(z) ? null : z;
    }

    /** The node's folded weights plus integer weights it reads through a DequantizeLinear. */
    private static long bytes(GraphNode n, Map<String, GraphNode> producer) {
        if (n == null) return 0;
        long b = n.weights().stream().mapToLong(GraphNode.FoldedWeight::bytes).sum();
        if (!n.opType().equals("DequantizeLinear")) {
            for (String in : n.inputs()) {
                GraphNode p = producer.get(in);
                if (p != null && p.opType().equals("DequantizeLinear")
                        && p.weights().stream().anyMatch(w -> w.role().equals("x"))) {
                    b += p.weights().stream().mapToLong(GraphNode.FoldedWeight::bytes).sum();
                }
            }
        }
        return b;
    }

    private static Double ms(Long nanos) {
        return nanos == null ? null : nanos / 1e6;
    }
}
