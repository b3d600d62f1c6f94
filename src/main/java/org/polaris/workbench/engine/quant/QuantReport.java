package org.polaris.workbench.engine.quant;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.polaris.workbench.engine.data.InputData;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Everything a quantization job measured: settings, both models' size/accuracy/latency/fused ops, agreement,
 * per-layer errors and per-activation quantization parameters, and plain-language warnings.
 */
public record QuantReport(QuantRequest request, String calibrationData, boolean calibrationSynthetic,
                          String evaluationData, QuantEvaluator.Result evaluation, List<LayerReport> layers,
                          List<Activation> activations, Map<String, SensitivityAnalyzer.Sensitivity> sensitivity,
                          List<String> warnings, double seconds) {

    /**
     * Calibrated range and chosen parameters of one quantized activation tensor.
     *
     * @param histogram counts over [observedMin, observedMax] in equal bins, for display (not in the JSON)
     */
    public record Activation(String tensor, double observedMin, double observedMax, double rangeMin, double rangeMax,
                             float scale, int zeroPoint, long[] histogram) {
    }

    static QuantReport of(QuantRequest req, InputData eval, QuantEvaluator.Result ev, List<LayerReport> layers,
                          List<Activation> activations, Map<String, SensitivityAnalyzer.Sensitivity> sensitivity,
                          double seconds, List<String> notes) {
        List<String> warnings = new ArrayList<>(notes);
        Evaluation.Side o = ev.original();
        Evaluation.Side q = ev.quantized();
        if (q.latency().medianMs() > o.latency().medianMs() * 1.02) {
            warnings.add(String.format(Locale.ROOT, "The quantized model is SLOWER than the original here: median "
                            + "%.3f ms vs %.3f ms (batch %d, %d thread(s)). %s", q.latency().medianMs(),
                    o.latency().medianMs(), q.latency().batch(), q.latency().threads(), slowerAdvice(req.options(), q)));
        }
        if (o.accuracy() != null && q.accuracy() != null && o.accuracy() - q.accuracy() > 0.01) {
            warnings.add(String.format(Locale.ROOT, "Top-1 accuracy drops by %.2f points (%.2f%% -> %.2f%%): try "
                            + "percentile or entropy calibration, more calibration samples, or keep the layers with the "
                            + "lowest SQNR in float (--exclude).", 100 * (o.accuracy() - q.accuracy()),
                    100 * o.accuracy(), 100 * q.accuracy()));
        }
        if (req.calibration() != null && req.calibration().isSynthetic() && req.options().mode() == QuantOptions.Mode.STATIC) {
            warnings.add("Calibrated on generated inputs: activation ranges may not match real data. Pass --calib-data.");
        }
        if (eval.isSynthetic()) {
            warnings.add("Evaluated on generated inputs: agreement numbers say little about real accuracy. Pass --eval-data.");
        }
        return new QuantReport(req, req.calibration() == null ? null : req.calibration().description(),
                req.calibration() != null && req.calibration().isSynthetic(), eval.description(), ev, layers,
                activations, sensitivity, warnings, seconds);
    }

    /** True when the evaluation inputs were generated at random (agreement only, no accuracy meaning). */
    public boolean evaluationSynthetic() {
        InputData e = request.evaluation() != null ? request.evaluation() : request.calibration();
        return e != null && e.isSynthetic();
    }

    private static String slowerAdvice(QuantOptions o, Evaluation.Side q) {
        if (o.mode() == QuantOptions.Mode.FP16) {
            return "Float16 storage only saves space; compute stays float32, so any difference is noise or the Cast.";
        }
        if (o.mode() == QuantOptions.Mode.WEIGHT_ONLY) {
            return "Weight-only quantization shrinks the file but dequantizes weights at run time unless ONNX Runtime "
                    + "has a fused kernel for them; for speed on CPU use static INT8, or keep weight-only for size.";
        }
        if (q.leftoverQdq() > 2) {
            return q.leftoverQdq() + " QuantizeLinear/DequantizeLinear nodes were left unfused: exclude the ops "
                    + "around them or use uint8 asymmetric activations so ONNX Runtime can fuse them.";
        }
        return "At this size fixed per-op overhead dominates (every integer kernel also quantizes its input); "
                + "quantization pays on larger layers and batches (try --latency-batch 32 to see throughput).";
    }

    public double sizeRatio() {
        return (double) evaluation.original().fileBytes() / evaluation.quantized().fileBytes();
    }

    public double speedup() {
        return evaluation.original().latency().medianMs() / evaluation.quantized().latency().medianMs();
    }

    /** The JSON object described in the CLI contract (NaN and infinities become null). */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", req().model().toString());
        m.put("output", req().output().toString());
        m.put("created", Instant.now().toString());
        QuantOptions o = req().options();
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("mode", switch (o.mode()) {
            case STATIC -> "static";
            case WEIGHT_ONLY -> "weight-only";
            case FP16 -> "fp16";
        });
        settings.put("bits", o.bits());
        settings.put("perChannel", o.perChannel());
        settings.put("symmetricActivations", o.symmetricActivations());
        settings.put("activationType", o.activationType().name().toLowerCase(Locale.ROOT));
        settings.put("symmetricWeights", o.mode() == QuantOptions.Mode.STATIC || o.symmetricWeights());
        if (o.bits() == 4) {
            settings.put("blockSize", o.blockSize());
            settings.put("int4Format", o.int4Format() == QuantOptions.Int4Format.MATMUL_NBITS ? "nbits" : "dq");
        }
        settings.put("calibration", o.mode() == QuantOptions.Mode.STATIC ? o.calibration().toString() : null);
        settings.put("calibrationSamples", o.mode() == QuantOptions.Mode.STATIC ? req().calibrationSamples() : 0);
        settings.put("calibrationData", o.mode() == QuantOptions.Mode.STATIC ? calibrationData : null);
        settings.put("calibrationSynthetic", o.mode() == QuantOptions.Mode.STATIC && calibrationSynthetic);
        settings.put("evaluationData", evaluationData);
        settings.put("exclude", o.exclude());
        settings.put("weightOnlyLayers", o.weightOnly());
        settings.put("speedCheck", o.mode() == QuantOptions.Mode.STATIC && req().speedCheck());
        m.put("settings", settings);
        m.put("original", side(evaluation.original()));
        m.put("quantized", side(evaluation.quantized()));
        Evaluation.Agreement a = evaluation.agreement();
        Map<String, Object> agreement = new LinkedHashMap<>();
        agreement.put("top1", finite(a.top1()));
        agreement.put("cosine", finite(a.meanCosine()));
        agreement.put("minCosine", finite(a.minCosine()));
        agreement.put("maxAbsError", finite(a.maxAbsError()));
        agreement.put("samples", a.samples());
        agreement.put("outputs", Evaluation.outputsJson(a.outputs()));
        m.put("agreement", agreement);
        m.put("sizeRatio", finite(sizeRatio()));
        m.put("speedup", finite(speedup()));
        m.put("fusedOps", evaluation.quantized().quantizedOps());
        m.put("leftoverQdq", evaluation.quantized().leftoverQdq());
        List<Map<String, Object>> ls = new ArrayList<>();
        for (LayerReport l : layers) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("name", l.name());
            x.put("opType", l.opType());
            x.put("weight", l.weight());
            x.put("input", l.input());
            x.put("bits", l.bits());
            x.put("perChannel", l.perChannel());
            x.put("sqnrDb", finite(l.sqnrDb()));
            x.put("cosine", finite(l.cosine()));
            x.put("maxAbsError", finite(l.maxAbsError()));
            x.put("inputRange", Double.isNaN(l.inputMin()) ? null : List.of(l.inputMin(), l.inputMax()));
            x.put("note", l.note());
            SensitivityAnalyzer.Sensitivity sv = sensitivity.get(l.name());
            x.put("sensitivity", sv == null ? null : Map.of("cosine", sv.meanCosine(), "top1", sv.top1Agreement(),
                    "rank", sensitivityRank(l.name())));
            ls.add(x);
        }
        m.put("layers", ls);
        List<Map<String, Object>> acts = new ArrayList<>();
        for (Activation act : activations) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("tensor", act.tensor());
            x.put("observed", List.of(act.observedMin(), act.observedMax()));
            x.put("range", List.of(act.rangeMin(), act.rangeMax()));
            x.put("scale", act.scale());
            x.put("zeroPoint", act.zeroPoint());
            acts.add(x);
        }
        m.put("activations", acts);
        m.put("warnings", warnings);
        m.put("seconds", seconds);
        return m;
    }

    /** 1 for the layer whose quantization alone moves the outputs most; 0 when it was not measured. */
    public int sensitivityRank(String layer) {
        if (!sensitivity.containsKey(layer)) {
            return 0;
        }
        double mine = sensitivity.get(layer).meanCosine();
        return 1 + (int) sensitivity.values().stream().filter(s -> s.meanCosine() < mine).count();
    }

    private QuantRequest req() {
        return request;
    }

    private static Map<String, Object> side(Evaluation.Side s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("fileBytes", s.fileBytes());
        m.put("accuracy", s.accuracy());
        Map<String, Object> lat = new LinkedHashMap<>();
        lat.put("median", s.latency().medianMs());
        lat.put("p90", s.latency().p90Ms());
        lat.put("runs", s.latency().runs());
        lat.put("threads", s.latency().threads());
        lat.put("batch", s.latency().batch());
        m.put("latencyMs", lat);
        m.put("fusedOps", s.quantizedOps());
        m.put("leftoverQdq", s.leftoverQdq());
        m.put("optimizedOps", s.optimizedOps());
        return m;
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    /** Stages the report as {@code file} among the run's outputs (in place when they are committed). */
    static void stage(QuantReport r, org.polaris.workbench.engine.io.OutputSet outputs, Path file) throws IOException {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        outputs.write(file, mapper.writeValueAsBytes(r.toJson()));
    }
}
