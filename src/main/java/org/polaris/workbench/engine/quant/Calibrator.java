package org.polaris.workbench.engine.quant;

import org.polaris.workbench.engine.data.InputData;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.ElementTypes;
import org.polaris.workbench.engine.model.Graph;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelWriter;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;
import org.polaris.workbench.engine.model.ValueType;
import org.polaris.workbench.engine.onnx.OrtModelSession;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Collects activation statistics by running ONNX Runtime on calibration samples with the tensors of interest
 * exposed as extra graph outputs. Streams batch by batch: memory does not grow with the sample count. Runs the
 * data twice: ranges first, then fixed-size histograms over those ranges.
 */
public final class Calibrator {

    public Map<String, ActivationStats> collect(OnnxModel model, List<String> tensors, InputData data, int samples,
                                                Calibration method, ProgressSink progress, CancellationToken cancel)
            throws OrtModelSession.RuntimeFailure {
        Graph g = model.graph();
        Set<String> feedNames = new HashSet<>();
        g.feedInputs().forEach(v -> feedNames.add(v.name()));
        Set<String> present = new HashSet<>();
        g.outputs().forEach(v -> present.add(v.name()));
        List<ValueInfo> outputs = new ArrayList<>(g.outputs());
        Map<String, DataType> types = ElementTypes.infer(g);
        for (String t : tensors) {
            // only float tensors are observed: an output declared float over an int64 tensor fails the session
            if (!present.contains(t) && !feedNames.contains(t) && types.getOrDefault(t, DataType.FLOAT) == DataType.FLOAT) {
                outputs.add(new ValueInfo(t, ValueType.tensor(DataType.FLOAT, null), ""));
                present.add(t);
            }
        }
        Graph augmented = new Graph(g.name(), g.nodes(), g.inputs(), outputs, g.valueInfos(), g.initializers(),
                g.docString(), g.encodedExtras());
        byte[] bytes = OnnxModelWriter.toBytes(model.withGraph(augmented));
        Map<String, ActivationStats> stats = new LinkedHashMap<>();
        tensors.forEach(t -> stats.put(t, new ActivationStats()));
        int n = Math.min(samples, data.size());
        int batch = Math.min(batchSize(g), data.maxBatch());
        // Histograms are collected for every method: they feed the report and the pane's range plots.
        int passes = 2;
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        try (OrtModelSession session = OrtModelSession.open(bytes,
                new OrtModelSession.Config(threads, OrtModelSession.Optimization.NONE, null))) {
            for (int pass = 0; pass < passes; pass++) {
                for (int start = 0; start < n; start += batch) {
                    cancel.throwIfCancelled();
                    int count = Math.min(batch, n - start);
                    Map<String, Tensor> x = data.feeds(start, count, g.feedInputs());
                    Map<String, Tensor> out = session.run(x);
                    out.putAll(x);
                    for (Map.Entry<String, ActivationStats> e : stats.entrySet()) {
                        Tensor t = out.get(e.getKey());
                        if (t == null || t.dataType() != DataType.FLOAT) {
                            continue;
                        }
                        if (pass == 0) {
                            e.getValue().observeRange(t.toFloats());
                        } else {
                            e.getValue().observeHistogram(t.toFloats());
                        }
                    }
                    double done = (pass * n + start + count) / (double) (passes * n);
                    progress.progress(done, "calibration " + (pass == 0 ? "ranges" : "histograms") + ": "
                            + (start + count) + "/" + n + " samples");
                }
            }
        }
        return stats;
    }

    /** The batch dimension when the model fixes it (e.g. 1), else 16 samples a run. */
    public static int batchSize(Graph g) {
        ValueType t = g.feedInputs().get(0).type();
        if (t.shape() != null && !t.shape().isEmpty() && t.shape().get(0).isFixed()) {
            return (int) Math.max(1, t.shape().get(0).value());
        }
        return 16;
    }
}
