package org.polaris.workbench.engine.quant;

import org.polaris.workbench.engine.data.InputData;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.GraphPrep;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.onnx.OrtModelSession;
import org.polaris.workbench.engine.quant.RangeEstimator.Range;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cheap per-layer signals of static INT8, measured without making a candidate: each weighted layer's weight SQNR
 * (from the quantizer's own report) and what quantizing that layer alone does to the outputs (top-1 agreement and
 * cosine with the float model, {@link SensitivityAnalyzer}), within a time budget. A search ranks layers by them to
 * choose which to keep in float.
 */
public final class LayerSignals {

    /**
     * One layer.
     *
     * @param agreement top-1 agreement with the float model when only this layer is quantized (NaN: not measured
     *                  within the budget)
     */
    public record Layer(String name, String opType, double sqnrDb, double agreement, double cosine) implements Serializable {
    }

    private LayerSignals() {
    }

    /**
     * Calibrates as {@code o} says, then measures every weighted layer; the result is ordered most sensitive first
     * (lowest agreement alone, then lowest SQNR; layers not measured last).
     */
    public static List<Layer> measure(OnnxModel model, QuantOptions o, InputData calibration, int calibrationSamples,
                                      InputData evaluation, int samples, double budgetSeconds, ProgressSink progress,
                                      CancellationToken cancel) throws OrtModelSession.RuntimeFailure {
        if (o.mode() != QuantOptions.Mode.STATIC) throw new IllegalArgumentException("layer signals are for static INT8");
        OnnxModel prepped = GraphPrep.normalize(model);
        QdqQuantizer q = new QdqQuantizer();
        QdqQuantizer.Plan plan = q.plan(prepped, o);
        Map<String, ActivationStats> stats = new Calibrator().collect(prepped, plan.tensors(), calibration,
                calibrationSamples, o.calibration(), (f, m) -> progress.progress(0.3 * f, m), cancel);
        Map<String, Range> ranges = ranges(stats, o);
        Map<String, SensitivityAnalyzer.Sensitivity> alone = new SensitivityAnalyzer().analyze(prepped, o, ranges,
                evaluation, samples, Math.min(Calibrator.batchSize(prepped.graph()), evaluation.maxBatch()), budgetSeconds,
                (f, m) -> progress.progress(0.3 + 0.65 * f, m), cancel);
        List<Layer> out = new ArrayList<>();
        for (LayerReport l : q.quantize(prepped, o, plan, ranges).layers()) {
            if (l.weight() == null || l.weight().isEmpty() || l.bits() == 32) continue;
            SensitivityAnalyzer.Sensitivity s = alone.get(l.name());
            out.add(new Layer(l.name(), l.opType(), l.sqnrDb(), s == null ? Double.NaN : s.top1Agreement(),
                    s == null ? Double.NaN : s.meanCosine()));
        }
        out.sort(Comparator.comparingDouble((Layer l) -> Double.isNaN(l.agreement()) ? 2 : l.agreement())
                .thenComparingDouble(Layer::sqnrDb));
        progress.progress(1, "layer signals done");
        return out;
    }

    /** Each calibrated tensor's range, as the quantizer uses it. */
    static Map<String, Range> ranges(Map<String, ActivationStats> stats, QuantOptions o) {
        Map<String, Range> ranges = new LinkedHashMap<>();
        for (Map.Entry<String, ActivationStats> e : stats.entrySet()) {
            ranges.put(e.getKey(), RangeEstimator.estimate(e.getValue(), o.calibration(), o.activationType()));
        }
        return ranges;
    }
}
