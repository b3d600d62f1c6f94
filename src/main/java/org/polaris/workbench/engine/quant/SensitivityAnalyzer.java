package org.polaris.workbench.engine.quant;

import org.polaris.workbench.engine.data.Dataset;
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

    public Map<String, Sensitivity> analyze(OnnxModel prepped, QuantOptions o, Map<String, Range> ranges, Dataset data,
                                            int samples, int batch, double budgetSeconds, ProgressSink progress,
                                            CancellationToken cancel) throws OrtModelSession.RuntimeFailure {
        GraphIndex gi = new GraphIndex(prepped.graph());
        List<String> layers = new ArrayList<>();
        for (int i = 0; i < prepped.graph().nodes().size(); i++) {
            if (gi.hasConstantWeight(i) && !gi.excluded(i, o.exclude())) {
                layers.add(gi.label(i));
            }
        }
        String input = prepped.graph().feedInputs().get(0).name();
        int n = Math.max(1, Math.min(samples, data.size()));
        List<Tensor> xs = new ArrayList<>();
        for (int s = 0; s < n; s += batch) {
            xs.add(data.batch(s, Math.min(batch, n - s)).withName(input));
        }
        List<float[]> reference = run(OnnxModelWriter.toBytes(prepped), input, xs);
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
            List<float[]> got = run(OnnxModelWriter.toBytes(single), input, xs);
            out.put(layer, compare(reference, got, xs));
            progress.progress((k + 1.0) / layers.size(), "sensitivity: " + layer);
        }
        return out;
    }

    private static List<float[]> run(byte[] model, String input, List<Tensor> xs) throws OrtModelSession.RuntimeFailure {
        List<float[]> out = new ArrayList<>();
        try (OrtModelSession s = OrtModelSession.open(model,
                new OrtModelSession.Config(Math.max(1, Runtime.getRuntime().availableProcessors()),
                        OrtModelSession.Optimization.ALL, null))) {
            for (Tensor x : xs) {
                out.add(s.run(Map.of(input, x)).values().iterator().next().toFloats());
            }
        }
        return out;
    }

    private static Sensitivity compare(List<float[]> ref, List<float[]> got, List<Tensor> xs) {
        double cos = 0;
        int agree = 0;
        int count = 0;
        for (int b = 0; b < ref.size(); b++) {
            int rows = (int) xs.get(b).dims()[0];
            int per = ref.get(b).length / rows;
            for (int r = 0; r < rows; r++) {
                float[] a = java.util.Arrays.copyOfRange(ref.get(b), r * per, (r + 1) * per);
                float[] c = java.util.Arrays.copyOfRange(got.get(b), r * per, (r + 1) * per);
                cos += QuantMath.cosine(a, c);
                if (QuantEvaluator.argmax(a) == QuantEvaluator.argmax(c)) {
                    agree++;
                }
                count++;
            }
        }
        return new Sensitivity(cos / count, (double) agree / count);
    }
}
