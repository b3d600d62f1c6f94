package org.polaris.workbench.engine.quant;

import java.util.Map;

/** Records of what evaluating an original and its quantized model measured, in one run. */
public final class Evaluation {

    private Evaluation() {
    }

    /** ONNX Runtime latency of one run of {@code batch} samples, over repeated runs. */
    public record Latency(double medianMs, double p90Ms, int runs, int threads, int batch) {
    }

    /**
     * One model's side of the comparison.
     *
     * @param accuracy top-1 accuracy on the labelled evaluation set, or null without labels
     * @param quantizedOps integer kernels in ONNX Runtime's optimized graph (QLinearConv, QGemm, MatMulNBits, ...)
     * @param leftoverQdq QuantizeLinear/DequantizeLinear nodes ONNX Runtime could not fuse
     */
    public record Side(long fileBytes, Double accuracy, Latency latency, Map<String, Integer> quantizedOps,
                       int leftoverQdq, Map<String, Integer> optimizedOps) {
    }

    /**
     * How closely the result follows the original on the same inputs, on its primary output (the first class-like
     * one, else the first), with every output's own numbers in {@code outputs}.
     *
     * @param top1 argmax agreement of the primary output, or NaN when it is not class-like (a map, boxes, a state)
     */
    public record Agreement(double top1, double meanCosine, double minCosine, double maxAbsError, int samples,
                            java.util.List<OutputAgreement> outputs) {
        public Agreement {
            outputs = java.util.List.copyOf(outputs);
        }

        /** One output only (TorchScript and single-output comparisons). */
        public Agreement(double top1, double meanCosine, double minCosine, double maxAbsError, int samples) {
            this(top1, meanCosine, minCosine, maxAbsError, samples, java.util.List.of());
        }
    }

    /**
     * One output compared sample by sample.
     *
     * @param classLike a {@code [batch, classes]} score output: top-1 agreement is meaningful
     * @param top1 argmax agreement, or NaN when not class-like
     * @param mismatched samples whose shapes differ between the models (e.g. a different number of detections)
     */
    /**
     * One output's comparison over {@code samples} samples: {@code mismatched} of them had another shape in the
     * result (a detector keeping another number of detections), {@code empty} had no values in either model (no
     * detections); neither kind enters the cosine or the error.
     */
    public record OutputAgreement(String output, boolean classLike, double top1, double meanCosine, double minCosine,
                                  double maxAbsError, int samples, int mismatched, int empty) {
    }

    /** Every output's comparison as JSON objects (NaN and infinities as null). */
    public static java.util.List<Map<String, Object>> outputsJson(java.util.List<OutputAgreement> outputs) {
        java.util.List<Map<String, Object>> out = new java.util.ArrayList<>();
        for (OutputAgreement o : outputs) {
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("output", o.output());
            m.put("classLike", o.classLike());
            m.put("top1", finite(o.top1()));
            m.put("meanCosine", finite(o.meanCosine()));
            m.put("minCosine", finite(o.minCosine()));
            m.put("maxAbsError", finite(o.maxAbsError()));
            m.put("samples", o.samples());
            m.put("mismatchedShapes", o.mismatched());
            m.put("emptyInBoth", o.empty());
            out.add(m);
        }
        return out;
    }

    /** A number for JSON: null when NaN or infinite. */
    public static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
