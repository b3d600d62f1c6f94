package org.polaris.workbench.engine.quant;

import org.polaris.workbench.engine.data.InputData;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelWriter;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.onnx.OrtModelSession;
import org.polaris.workbench.engine.quant.RangeEstimator.Range;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Accuracy-based sensitivity: quantizes one layer at a time (the rest stays float, calibration reused) and measures
 * how far the outputs move from the float model's on evaluation samples. Layers are measured in graph order until
 * the time budget runs out; the rest are reported as not measured.
 */
public final class SensitivityAnalyzer {

    /** How much quantizing this layer alone changes the outputs. */
    public record Sensitivity(double meanCosine, double top1Agreement) {
    }

    public Map<String, Sensitivity> analyze(OnnxModel prepped, QuantOptions o, Map<String, Range> ranges, InputData data,
                                            int samples, int batch, double budgetSeconds, ProgressSink progress,
                                            CancellationToken cancel) throws OrtModelSession.RuntimeFailure {
        GraphIndex gi = new GraphIndex(prepped.graph());
        List<String> layers = new ArrayList<>();
        for (int i = 0; i < prepped.graph().nodes().size(); i++) {
            if (gi.hasConstantWeight(i) && !gi.excluded(i, o.exclude())) {
                layers.add(gi.label(i));
            }
        }
        int n = Math.max(1, Math.min(samples, data.size()));
        int step = Math.max(1, Math.min(batch, data.maxBatch()));
        List<Map<String, Tensor>> xs = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        for (int s = 0; s < n; s += step) {
            counts.add(Math.min(step, n - s));
            xs.add(data.feeds(s, counts.get(counts.size() - 1), prepped.graph().feedInputs()));
        }
        List<Map<String, Tensor>> reference = run(OnnxModelWriter.toBytes(prepped), xs);
        Map<String, Sensitivity> out = new LinkedHashMap<>();
        long deadline = System.nanoTime() + (long) (budgetSeconds * 1e9);
        QdqQuantizer q = new QdqQuantizer();
        for (int k = 0; k < layers.size() && System.nanoTime() < deadline; k++) {
            cancel.throwIfCancelled();
            String layer = layers.get(k);
            Set<String> others = new HashSet<>(layers);
            others.remove(layer);
            others.addAll(o.exclude());
            QuantOptions only = o.withExclude(others);
            QdqQuantizer.Plan plan = q.plan(prepped, only);
            OnnxModel single = q.quantize(prepped, only, plan, ranges).model();
            List<Map<String, Tensor>> got = run(OnnxModelWriter.toBytes(single), xs);
            out.put(layer, compare(reference, got, counts));
            progress.progress((k + 1.0) / layers.size(), "sensitivity: " + layer);
        }
        return out;
    }

    private static List<Map<String, Tensor>> run(byte[] model, List<Map<String, Tensor>> xs)
            throws OrtModelSession.RuntimeFailure {
        List<Map<String, Tensor>> out = new ArrayList<>();
        try (OrtModelSession s = OrtModelSession.open(model,
                new OrtModelSession.Config(Math.max(1, Runtime.getRuntime().availableProcessors()),
                        OrtModelSession.Optimization.ALL, null))) {
            for (Map<String, Tensor> x : xs) {
                out.add(s.run(x));
            }
        }
        return out;
    }

    private static Sensitivity compare(List<Map<String, Tensor>> ref, List<Map<String, Tensor>> got, List<Integer> counts) {
        OutputComparison cmp = new OutputComparison();
        for (int b = 0; b < ref.size(); b++) {
            int[] labels = new int[counts.get(b)];
            java.util.Arrays.fill(labels, -1);
            cmp.add(ref.get(b), got.get(b), counts.get(b), labels);
        }
        Evaluation.Agreement a = cmp.agreement();
        return new Sensitivity(a.meanCosine(), a.top1());
    }
}
