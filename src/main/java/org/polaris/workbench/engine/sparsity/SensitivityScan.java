package org.polaris.workbench.engine.sparsity;

import org.polaris.workbench.engine.data.InputData;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelWriter;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.onnx.OrtModelSession;
import org.polaris.workbench.engine.quant.Calibrator;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How much each layer can lose on its own: every prunable weight is pruned alone to each level, the model run in a
 * fresh ONNX Runtime session on the evaluation data, and its top-1 accuracy recorded (or, for unlabelled data, its
 * top-1 agreement with the unpruned model). The curves feed the Sparsity pane's chart and sensitivity allocation.
 */
public final class SensitivityScan {

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

    /** @param labelled true when {@code accuracy} is top-1 accuracy, false when it is agreement with the original */
    public record Result(double baseline, boolean labelled, int samples, List<Curve> curves) {
    }

    private SensitivityScan() {
    }

    public static Result run(OnnxModel model, PruneMethod method, double[] levels, InputData data, int samples,
                             ProgressSink progress, CancellationToken cancel) throws OrtModelSession.RuntimeFailure {
        if (method.kind() == PruneMethod.Kind.CHANNEL) {
            throw new IllegalArgumentException("the sensitivity scan prunes weights in place: use magnitude, nm or block");
        }
        List<PruneService.Target> targets = PruneService.targets(model, Set.of());
        int n = Math.min(samples, data.size());
        int batch = Math.min(Math.min(Calibrator.batchSize(model.graph()), data.maxBatch()), Math.max(1, n));
        boolean labelled = data.hasLabels() && !data.isSynthetic();
        double[] fixed = Double.isNaN(method.fixedSparsity()) ? levels : new double[] {method.fixedSparsity()};
        int[] reference = labelled ? null : predictions(OnnxModelWriter.toBytes(model), model, data, n, batch);
        double baseline = score(OnnxModelWriter.toBytes(model), model, data, n, batch, reference);
        List<Curve> curves = new ArrayList<>();
        int done = 0;
        int total = targets.size() * fixed.length;
        for (PruneService.Target t : targets) {
            List<Point> points = new ArrayList<>();
            points.add(new Point(0, baseline));
            for (double level : fixed) {
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
                points.add(new Point(level, score(bytes, model, data, n, batch, reference)));
            }
            curves.add(new Curve(t.weight(), t.node(), t.shape(), points));
        }
        progress.progress(1, "sensitivity scan done");
        return new Result(baseline, labelled, n, curves);
    }

    private static double score(byte[] model, OnnxModel graph, InputData data, int n, int batch, int[] reference)
            throws OrtModelSession.RuntimeFailure {
        int[] p = predictions(model, graph, data, n, batch);
        int hit = 0;
        for (int i = 0; i < n; i++) {
            if (p[i] == (reference == null ? data.label(i) : reference[i])) hit++;
        }
        return n == 0 ? 0 : (double) hit / n;
    }

    private static int[] predictions(byte[] model, OnnxModel graph, InputData data, int n, int batch)
            throws OrtModelSession.RuntimeFailure {
        int[] out = new int[n];
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        try (OrtModelSession s = OrtModelSession.open(model,
                new OrtModelSession.Config(threads, OrtModelSession.Optimization.ALL, null))) {
            for (int start = 0; start < n; start += batch) {
                int count = Math.min(batch, n - start);
                Map<String, Tensor> y = s.run(data.feeds(start, count, graph.graph().feedInputs()));
                float[] f = y.values().iterator().next().toFloats();
                int per = f.length / count;
                for (int i = 0; i < count; i++) {
                    int best = 0;
                    for (int k = 1; k < per; k++) {
                        if (f[i * per + k] > f[i * per + best]) best = k;
                    }
                    out[start + i] = best;
                }
            }
        }
        return out;
    }
}
