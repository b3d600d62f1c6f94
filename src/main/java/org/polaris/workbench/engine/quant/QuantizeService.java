package org.polaris.workbench.engine.quant;

import org.polaris.workbench.engine.model.GraphPrep;

import org.polaris.workbench.engine.data.InputData;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.ModelLoadException;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OpsetUpgrade;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.OnnxModelWriter;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;
import org.polaris.workbench.engine.onnx.OrtModelSession;
import org.polaris.workbench.engine.quant.RangeEstimator.Range;
import org.polaris.workbench.engine.io.OutputPolicy;
import org.polaris.workbench.engine.io.OutputSet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Quantizes a model end to end: read, calibrate, rewrite, verify the result in a fresh ONNX Runtime session,
 * evaluate original against quantized, then move the new file into place and write the report. Nothing appears
 * at the output path unless every step succeeded; a cancelled or failed job leaves no files behind.
 */
public final class QuantizeService implements Quantizer {

    private final OnnxModelReader reader = new OnnxModelReader();

    @Override
    public QuantReport run(QuantRequest req, ProgressSink progress, CancellationToken cancel)
            throws ModelLoadException, QuantizationException, IOException {
        OutputPolicy policy = req.outputPolicy();
        policy.preflight(req.output(), req.reportPath());
        long t0 = System.nanoTime();
        progress.progress(0.01, "reading " + req.model().getFileName());
        OnnxModel original = reader.read(req.model());
        policy = policy.withInputs(original.externalFiles());
        checkSupported(original, req.options());
        byte[] originalBytes = OnnxModelWriter.toBytes(original);
        OrtModelSession.requireLoads(req.model(), originalBytes);
        OnnxModel prepped = GraphPrep.normalize(original);
        QuantOptions o = req.options();
        List<String> notes = new java.util.ArrayList<>();
        if (o.mode() == QuantOptions.Mode.WEIGHT_ONLY && o.bits() == 8 && prepped.defaultOpset() < 7) {
            prepped = OpsetUpgrade.toOpset7(prepped);
            notes.add("The model was raised from opset " + original.defaultOpset() + " to opset 7 (no op changes "
                    + "meaning) so its weights can be dequantized by Cast and Mul; ONNX Runtime has no opset-6 Mul.");
        }
        QdqQuantizer.Result result;
        Map<String, QuantReport.Activation> activations = new LinkedHashMap<>();
        Map<String, SensitivityAnalyzer.Sensitivity> sensitivity = Map.of();
        try {
            if (o.mode() == QuantOptions.Mode.FP16) {
                progress.progress(0.05, "storing weights as float16");
                result = new Fp16Converter().convert(prepped, o);
            } else if (o.bits() == 4) {
                progress.progress(0.05, "quantizing weights to 4 bits");
                result = new Int4Quantizer().quantize(prepped, o);
            } else {
                QdqQuantizer q = new QdqQuantizer();
                QdqQuantizer.Plan plan = q.plan(prepped, o);
                Map<String, Range> ranges = null;
                if (o.mode() == QuantOptions.Mode.STATIC) {
                    Map<String, ActivationStats> stats = new Calibrator().collect(prepped, plan.tensors(),
                            req.calibration(), req.calibrationSamples(), o.calibration(),
                            (f, m) -> progress.progress(0.05 + 0.4 * f, m), cancel);
                    ranges = LayerSignals.ranges(stats, o);
                    for (String t : plan.tensors()) {
                        Range r = ranges.get(plan.sharedWith().getOrDefault(t, t));
                        ActivationStats st = stats.get(t);
                        if (r != null) {
                            QuantMath.Params p = o.symmetricActivations()
                                    ? QuantMath.symmetric(Math.max(Math.abs(r.min()), Math.abs(r.max())), o.activationType())
                                    : QuantMath.asymmetric(r.min(), r.max(), o.activationType());
                            activations.put(t, new QuantReport.Activation(t, st.min(), st.max(), r.min(), r.max(),
                                    p.scale(), p.zeroPoint(), downsample(st.signedHistogram(), 128)));
                        }
                    }
                }
                cancel.throwIfCancelled();
                if (ranges != null && req.sensitivitySeconds() > 0) {
                    InputData eval = req.evaluation() != null ? req.evaluation() : req.calibration();
                    sensitivity = new SensitivityAnalyzer().analyze(prepped, o, ranges, eval,
                            Math.min(200, req.evalSettings().samples()),
                            Math.min(Calibrator.batchSize(prepped.graph()), eval.maxBatch()),
                            req.sensitivitySeconds(), (f, m) -> progress.progress(0.45 + 0.01 * f, m), cancel);
                }
                progress.progress(0.46, "rewriting the graph");
                result = q.quantize(prepped, o, plan, ranges);
                if (ranges != null && req.speedCheck()) {
                    result = speedCheck(q, prepped, o, ranges, result, req, progress, cancel);
                }
            }
        } catch (OrtModelSession.RuntimeFailure e) {
            throw new QuantizationException("calibration failed: " + e.getMessage(), e);
        }
        byte[] quantizedBytes = OnnxModelWriter.toBytes(result.model());
        try (OutputSet outputs = new OutputSet(policy)) {
            outputs.write(req.output(), quantizedBytes);
            Path tmp = outputs.temporary(req.output());
            cancel.throwIfCancelled();
            progress.progress(0.5, "verifying the result in a fresh ONNX Runtime session");
            InputData eval = req.evaluation() != null ? req.evaluation() : req.calibration();
            int batch = Math.min(Calibrator.batchSize(prepped.graph()), eval.maxBatch());
            verify(tmp, req.output(), originalBytes, prepped.graph().feedInputs(), eval, batch, req.minCosine());
            QuantEvaluator.Result ev;
            try {
                ev = new QuantEvaluator().compare(originalBytes, Files.readAllBytes(tmp), prepped.graph().feedInputs(),
                        eval, batch,
                        req.evalSettings(), (f, m) -> progress.progress(0.55 + 0.4 * f, m), cancel);
            } catch (OrtModelSession.RuntimeFailure e) {
                throw new QuantizationException("evaluation failed: " + e.getMessage(), e);
            }
            Verification.requireAgreement(ev.agreement(), req.minCosine());
            QuantReport report = QuantReport.of(req, eval, ev, result.layers(), List.copyOf(activations.values()),
                    sensitivity, (System.nanoTime() - t0) / 1e9, notes);
            cancel.throwIfCancelled();
            progress.progress(0.97, "writing " + req.output().getFileName());
            QuantReport.stage(report, outputs, req.reportPath());
            outputs.commit();
            progress.progress(1, "done");
            return report;
        }
    }

    /** How a layer's note starts when the speed check kept it in float. */
    public static final String KEPT_FLOAT_SLOWER = "kept in float: ONNX Runtime's 8-bit kernel is slower here";

    /**
     * Times the model with each few-channel convolution quantized and kept in float (interleaved ONNX Runtime runs,
     * the report's thread count and batch) and keeps whichever is faster by more than 3%, noting why in the layer's
     * report.
     */
    private static QdqQuantizer.Result speedCheck(QdqQuantizer q, OnnxModel prepped, QuantOptions o,
                                                  Map<String, Range> ranges, QdqQuantizer.Result result,
                                                  QuantRequest req, ProgressSink progress, CancellationToken cancel)
            throws OrtModelSession.RuntimeFailure {
        List<String> candidates = QdqQuantizer.fewChannelConvs(prepped, o);
        if (candidates.isEmpty()) {
            return result;
        }
        InputData d = req.evaluation() != null ? req.evaluation() : req.calibration();
        QuantEvaluator.Settings s = req.evalSettings();
        QuantEvaluator.TimedFeed x = QuantEvaluator.latencyInput(d, prepped.graph().feedInputs(),
                Calibrator.batchSize(prepped.graph()), s);
        QuantEvaluator.Settings timing = new QuantEvaluator.Settings(s.samples(), Math.max(40, s.latencyRuns()),
                Math.max(10, s.warmup()), s.threads(), s.latencyBatch());
        QdqQuantizer.Result best = result;
        byte[] bestBytes = OnnxModelWriter.toBytes(best.model());
        java.util.Set<String> exclude = new java.util.HashSet<>(o.exclude());
        Map<String, String> notes = new LinkedHashMap<>();
        for (String c : candidates) {
            cancel.throwIfCancelled();
            progress.progress(0.46, "timing " + c + " in int8 and in float");
            java.util.Set<String> more = new java.util.HashSet<>(exclude);
            more.add(c);
            QuantOptions alt = o.withExclude(more);
            QdqQuantizer.Result floatStem = q.quantize(prepped, alt, q.plan(prepped, alt), ranges);
            byte[] floatStemBytes = OnnxModelWriter.toBytes(floatStem.model());
            Evaluation.Latency[] t = new QuantEvaluator().latency(bestBytes, floatStemBytes, x, timing,
                    ProgressSink.NONE, cancel);
            String note = String.format(java.util.Locale.ROOT,
                    "model median %.4f ms with this layer in int8, %.4f ms with it in float (batch %d, %d thread(s))",
                    t[0].medianMs(), t[1].medianMs(), t[0].batch(), t[0].threads());
            if (t[1].medianMs() < 0.97 * t[0].medianMs()) {
                best = floatStem;
                bestBytes = floatStemBytes;
                exclude = more;
                notes.put(c, KEPT_FLOAT_SLOWER + "; " + note);
            } else {
                notes.put(c, "speed check: " + note);
            }
        }
        List<LayerReport> layers = new java.util.ArrayList<>();
        for (LayerReport l : best.layers()) {
            String n = notes.get(l.name());
            layers.add(n == null ? l : new LayerReport(l.name(), l.opType(), l.weight(), l.input(), l.bits(),
                    l.perChannel(), l.sqnrDb(), l.cosine(), l.maxAbsError(), l.inputMin(), l.inputMax(),
                    l.note() == null || l.note().isEmpty() || l.bits() == 32 ? n : l.note() + "; " + n));
        }
        return new QdqQuantizer.Result(best.model(), layers);
    }

    private static long[] downsample(long[] hist, int bins) {
        if (hist.length == 0) {
            return hist;
        }
        long[] out = new long[bins];
        for (int i = 0; i < hist.length; i++) {
            out[(int) ((long) i * bins / hist.length)] += hist[i];
        }
        return out;
    }

    private static void checkSupported(OnnxModel m, QuantOptions o) throws QuantizationException {
        if (m.graph().feedInputs().isEmpty()) {
            throw new QuantizationException("the model has no inputs");
        }
        long opset = m.defaultOpset();
        if (o.mode() == QuantOptions.Mode.WEIGHT_ONLY && o.bits() == 8 && opset < 13) {
            // opset 7-12: Cast and Mul instead of DequantizeLinear; opset 6 is raised to 7 where nothing changes
            String why = OpsetUpgrade.obstacle(m);
            if (why != null) {
                throw new QuantizationException("weight-only INT8 cannot rewrite this model: " + why
                        + "; re-export it at opset 13 or newer");
            }
        } else if (o.mode() == QuantOptions.Mode.STATIC || (o.mode() == QuantOptions.Mode.WEIGHT_ONLY && o.bits() == 8)) {
            if (opset < 10) {
                throw new QuantizationException("the model uses opset " + opset
                        + "; QuantizeLinear/DequantizeLinear need opset 10 or newer (13 for per-channel): re-export it");
            }
            if (opset < 13 && o.perChannel()) {
                throw new QuantizationException("per-channel quantization needs opset 13 and the model uses opset "
                        + opset + ": use --per-tensor or re-export at opset 13");
            }
        }
        boolean anyWeight = m.graph().nodes().stream().anyMatch(n -> QdqQuantizer.WEIGHTED.contains(n.opType()));
        if (!anyWeight) {
            throw new QuantizationException("the model has no Conv, Gemm or MatMul layer to quantize");
        }
    }

    /**
     * Loads the written file as a user would and checks its outputs against the original's on real inputs: every
     * output present, float outputs finite and close. An output whose shape follows the data (a detector's boxes)
     * may differ in shape; the evaluation reports it as mismatched.
     */
    private void verify(Path file, Path target, byte[] original, List<ValueInfo> inputs, InputData data, int batch,
                        double minCosine) throws QuantizationException, ModelLoadException {
        Verification.reread(reader, file, target, Map.of());
        int n = Math.min(Math.max(1, batch), data.size());
        Map<String, Tensor> x = data.feeds(0, n, inputs);
        try (OrtModelSession q = OrtModelSession.open(readBytes(file), OrtModelSession.Config.singleThread(OrtModelSession.Optimization.ALL));
             OrtModelSession o = OrtModelSession.open(original, OrtModelSession.Config.singleThread(OrtModelSession.Optimization.ALL))) {
            Verification.requireClose(o.run(x), q.run(x), "quantized", minCosine);
        } catch (OrtModelSession.RuntimeFailure e) {
            throw new QuantizationException("verification failed: the written model does not run in ONNX Runtime: "
                    + e.getMessage(), e);
        }
    }

    private static byte[] readBytes(Path p) throws QuantizationException {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new QuantizationException("cannot re-read " + p + ": " + e.getMessage(), e);
        }
    }
}
