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

    /** How closely the quantized model follows the original on the same inputs. */
    public record Agreement(double top1, double meanCosine, double minCosine, double maxAbsError, int samples) {
    }
}
