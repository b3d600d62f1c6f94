package org.polaris.workbench.engine.sparsity;

import org.polaris.workbench.engine.data.InputData;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.GraphPrep;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelWriter;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.onnx.OrtModelSession;
import org.polaris.workbench.engine.quant.Calibrator;
import org.polaris.workbench.engine.quant.QuantMath;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How much each layer can lose on its own: every prunable weight (initializer or {@code Constant} node) is pruned
 * alone to each level, the model run in a fresh ONNX Runtime session on the evaluation data, and scored: top-1
 * accuracy with labels; without labels, top-1 agreement with the unpruned model when its first output holds class
 * scores ({@code [N, classes]}), else the mean cosine of every float output to the unpruned model's (a segmenter's
 * map, a recurrent model's sequence and state). The curves feed the Sparsity pane's chart and sensitivity allocation.
 */
public final class SensitivityScan {

    /** Reference outputs kept for cosine scoring: at most this many bytes (fewer samples for large outputs). */
    static final long REFERENCE_BYTES = 64L << 20;

    /** What a point's value measures. */
    public enum Score {
        ACCURACY("top-1 accuracy"), AGREEMENT("top-1 agreement"), COSINE("mean output cosine");

        private final String label;

        Score(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    public record Point(double sparsity, double accuracy) {
    }

    public record Curve(String weight, String node, long[] shape, List<Point> points) {

        /** The highest scanned sparsity whose accuracy stays within {@code maxDrop} of {@code baseline} (0 if none). */
        public double tolerable(double baseline, double maxDrop) {
            double best = 0;
            for (Point p : points) {
                if (p.accuracy() >= baseline - maxDrop) best = Math.max(best, p.sparsity());
            }
            return best;
        }
    }

    /** @param score what {@code baseline} and the points' values measure */
    public record Result(double baseline, Score score, int samples, List<Curve> curves) {

        /** True when the values are top-1 accuracy against labels. */
        public boolean labelled() {
            return score == Score.ACCURACY;
        }
    }

    private SensitivityScan() {
    }

    public static Result run(OnnxModel model, PruneMethod method, double[] levels, InputData data, int samples,
                             ProgressSink progress, CancellationToken cancel) throws OrtModelSession.RuntimeFailure {
        return run(model, method, levels, data, samples, 0, progress, cancel);
    }

    /**
     * As {@link #run(OnnxModel, PruneMethod, double[], InputData, int, ProgressSink, CancellationToken)}, scanning
     * weights in graph order until {@code budgetSeconds} have passed (0: all); the weights not reached have no curve.
     */
    public static Result run(OnnxModel model, PruneMethod method, double[] levels, InputData data, int samples,
                             double budgetSeconds, ProgressSink progress, CancellationToken cancel)
            throws OrtModelSession.RuntimeFailure {
        double[] fixed = Double.isNaN(method.fixedSparsity()) ? levels : new double[] {method.fixedSparsity()};
        return run(model, method, t -> fixed, data, samples, budgetSeconds, progress, cancel);
    }

    /**
     * As {@link #run(OnnxModel, PruneMethod, double[], InputData, int, double, ProgressSink, CancellationToken)}, each
     * weight scanned at its own levels ({@code levels} by weight name, in the same order for every weight): the
     * levels {@link #globalShares} gives it, to see each layer alone as a global threshold would prune it.
     */
    public static Result run(OnnxModel model, PruneMethod method, Map<String, double[]> levels, InputData data, int samples,
                             double budgetSeconds, ProgressSink progress, CancellationToken cancel)
            throws OrtModelSession.RuntimeFailure {
        return run(model, method, t -> levels.getOrDefault(t.weight(), new double[0]), data, samples, budgetSeconds,
                progress, cancel);
    }

    /**
     * Each prunable weight's own sparsity when one magnitude threshold removes {@code sparsity} of all of them (what
     * {@code prune --scope global} does; ties at the threshold not counted).
     */
    public static Map<String, Double> globalShares(OnnxModel model, double sparsity) {
        model = GraphPrep.constantsAsInitializers(model);
        List<PruneService.Target> targets = PruneService.targets(model, Set.of());
        Map<String, Tensor> inits = new java.util.HashMap<>();
        for (Tensor w : model.graph().initializers()) inits.put(w.name(), w);
        List<PruneService.Target> present = targets.stream().filter(t -> inits.containsKey(t.weight())).toList();
        float[][] all = present.stream().map(t -> inits.get(t.weight()).toFloats()).toArray(float[][]::new);
        long total = 0;
        for (float[] a : all) total += a.length;
        float threshold = Pruner.globalThreshold(all, Math.round(sparsity * total));
        Map<String, Double> out = new java.util.LinkedHashMap<>();
        for (int i = 0; i < all.length; i++) {
            long below = 0;
            for (float v : all[i]) if (Math.abs(v) < threshold) below++;
            out.put(present.get(i).weight(), all[i].length == 0 ? 0 : (double) below / all[i].length);
        }
        return out;
    }

    private static Result run(OnnxModel model, PruneMethod method, java.util.function.Function<PruneService.Target, double[]> levelsOf,
                              InputData data, int samples, double budgetSeconds, ProgressSink progress,
                              CancellationToken cancel) throws OrtModelSession.RuntimeFailure {
        long deadline = budgetSeconds > 0 ? System.nanoTime() + (long) (budgetSeconds * 1e9) : Long.MAX_VALUE;
        if (method.kind() == PruneMethod.Kind.CHANNEL) {
            throw new IllegalArgumentException("the sensitivity scan prunes weights in place: use magnitude, nm or block");
        }
        model = GraphPrep.constantsAsInitializers(model);
        List<PruneService.Target> targets = PruneService.targets(model, Set.of());
        int n = Math.min(samples, data.size());
        int batch = Math.min(Math.min(Calibrator.batchSize(model.graph()), data.maxBatch()), Math.max(1, n));
        Scorer scorer = Scorer.of(OnnxModelWriter.toBytes(model), model, data, n, batch);
        double baseline = scorer.score(OnnxModelWriter.toBytes(model));
        List<Curve> curves = new ArrayList<>();
        int done = 0;
        int total = targets.stream().mapToInt(t -> levelsOf.apply(t).length).sum();
        for (PruneService.Target t : targets) {
            if (System.nanoTime() - deadline > 0) break;
            List<Point> points = new ArrayList<>();
            points.add(new Point(0, baseline));
            for (double level : levelsOf.apply(t)) {
                cancel.throwIfCancelled();
                progress.progress((double) done++ / total, String.format(java.util.Locale.ROOT,
                        "scanning %s at %.0f%% (%d/%d)", t.node(), 100 * level, done, total));
                List<Tensor> inits = new ArrayList<>();
                for (Tensor w : model.graph().initializers()) {
                    if (!w.name().equals(t.weight())) {
                        inits.add(w);
                        continue;
                    }
                    int[] rc = Pruner.rowsCols(w.dims(), t.axis());
                    float[] rows = Pruner.toRows(w.toFloats(), w.dims(), t.axis());
                    inits.add(Tensor.ofFloats(w.name(), w.dims(), Pruner.fromRows(
                            Pruner.prune(rows, rc[0], rc[1], method, level), w.dims(), t.axis())));
                }
                byte[] bytes = OnnxModelWriter.toBytes(model.withGraph(model.graph().withInitializers(inits,
                        model.graph().sparseInitializers())));
                points.add(new Point(level, scorer.score(bytes)));
            }
            curves.add(new Curve(t.weight(), t.node(), t.shape(), points));
        }
        progress.progress(1, "sensitivity scan done");
        return new Result(baseline, scorer.kind, scorer.n, curves);
    }

    /** Scores a variant of the model on the first {@code n} samples, as {@link Score} {@code kind} says. */
    private static final class Scorer {
        final Score kind;
        final int n;
        private final OnnxModel graph;
        private final InputData data;
        private final int batch;
        private final List<Map<String, Tensor>> reference;
        private final int[] referenceTop1;

        private Scorer(Score kind, int n, OnnxModel graph, InputData data, int batch,
                       List<Map<String, Tensor>> reference, int[] referenceTop1) {
            this.kind = kind;
            this.n = n;
            this.graph = graph;
            this.data = data;
            this.batch = batch;
            this.reference = reference;
            this.referenceTop1 = referenceTop1;
        }

        static Scorer of(byte[] original, OnnxModel graph, InputData data, int n, int batch)
                throws OrtModelSession.RuntimeFailure {
            boolean labels = data.hasLabels() && !data.isSynthetic();
            List<Map<String, Tensor>> kept = new ArrayList<>();
            List<Integer> top1 = new ArrayList<>();
            Score[] kind = {null};
            long[] bytes = {0};
            int[] covered = {0};
            run(original, graph, data, n, batch, (count, y) -> {
                if (kind[0] == null) {
                    boolean classes = classScores(y.values().iterator().next());
                    kind[0] = classes ? (labels ? Score.ACCURACY : Score.AGREEMENT) : Score.COSINE;
                }
                if (kind[0] == Score.AGREEMENT) {
                    top1.addAll(top1(y));
                } else if (kind[0] == Score.COSINE) {
                    long size = y.values().stream().mapToLong(t -> t.raw().length).sum();
                    if (!kept.isEmpty() && bytes[0] + size > REFERENCE_BYTES) {
                        return false; // enough reference outputs: score the samples kept so far
                    }
                    kept.add(y);
                    bytes[0] += size;
                    covered[0] += count;
                } else {
                    return false;
                }
                return true;
            });
            Score k = kind[0] == null ? Score.COSINE : kind[0];
            return new Scorer(k, k == Score.COSINE ? covered[0] : n, graph, data, batch, List.copyOf(kept),
                    top1.stream().mapToInt(Integer::intValue).toArray());
        }

        double score(byte[] model) throws OrtModelSession.RuntimeFailure {
            double[] sum = {0};
            int[] count = {0};
            List<Integer> predicted = new ArrayList<>();
            int[] b = {0};
            run(model, graph, data, n, batch, (samples, y) -> {
                if (kind != Score.COSINE) {
                    predicted.addAll(top1(y));
                    return true;
                }
                for (Map.Entry<String, Tensor> e : reference.get(b[0]++).entrySet()) {
                    Tensor got = y.get(e.getKey());
                    if (e.getValue().dataType() == DataType.FLOAT && got != null
                            && java.util.Arrays.equals(got.dims(), e.getValue().dims())) {
                        double c = QuantMath.cosine(e.getValue().toFloats(), got.toFloats());
                        sum[0] += Double.isNaN(c) ? 0 : c; // NaN outputs score as unrelated
                        count[0]++;
                    }
                }
                return true;
            });
            if (kind == Score.COSINE) {
                return count[0] == 0 ? 0 : sum[0] / count[0];
            }
            int hit = 0;
            for (int i = 0; i < n; i++) {
                if (predicted.get(i) == (kind == Score.ACCURACY ? data.label(i) : referenceTop1[i])) hit++;
            }
            return n == 0 ? 0 : (double) hit / n;
        }

        /** The first output is {@code [samples, classes]} float scores. */
        private static boolean classScores(Tensor t) {
            return t.dataType() == DataType.FLOAT && t.rank() == 2 && t.dims()[1] > 1;
        }

        private static List<Integer> top1(Map<String, Tensor> y) {
            Tensor t = y.values().iterator().next();
            float[] f = t.toFloats();
            int count = (int) t.dims()[0];
            int per = f.length / Math.max(1, count);
            List<Integer> out = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                int best = 0;
                for (int k = 1; k < per; k++) {
                    if (f[i * per + k] > f[i * per + best]) best = k;
                }
                out.add(best);
            }
            return out;
        }

        /** What a batch's outputs go to; false stops the run. */
        private interface BatchSink {
            boolean accept(int samples, Map<String, Tensor> outputs);
        }

        /** Runs the first {@code n} samples in batches, handing each batch's outputs to {@code sink}. */
        private static void run(byte[] model, OnnxModel graph, InputData data, int n, int batch, BatchSink sink)
                throws OrtModelSession.RuntimeFailure {
            int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
            try (OrtModelSession s = OrtModelSession.open(model,
                    new OrtModelSession.Config(threads, OrtModelSession.Optimization.ALL, null))) {
                for (int start = 0; start < n; start += batch) {
                    int count = Math.min(batch, n - start);
                    if (!sink.accept(count, s.run(data.feeds(start, count, graph.graph().feedInputs())))) {
                        return;
                    }
                }
            }
        }
    }
}
