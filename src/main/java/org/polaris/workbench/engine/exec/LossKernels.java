package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.model.Node;

import java.util.Map;

/**
 * NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss as the ONNX spec defines them: class axis 1, any number of
 * extra dimensions, optional class weights, {@code ignore_index}, and reductions none/sum/mean (mean divides by the
 * summed weights of the counted targets). Training graphs exported with their loss run on the engine.
 */
final class LossKernels {

    private LossKernels() {
    }

    static void register(Map<String, Kernel> k) {
        k.put("NegativeLogLikelihoodLoss", (n, in, o) -> new Value[] {nll(n, in[0].toDoubles(), in[0].shape, in[1],
                in.length > 2 ? in[2] : null, in[0])});
        k.put("SoftmaxCrossEntropyLoss", (n, in, o) -> {
            Value x = in[0];
            int classes = x.shape[1];
            int inner = x.size() / (x.shape[0] * classes);
            double[] logp = new double[x.size()];
            for (int b = 0; b < x.shape[0]; b++) {
                for (int i = 0; i < inner; i++) {
                    int base = b * classes * inner + i;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int c = 0; c < classes; c++) max = Math.max(max, x.get(base + c * inner));
                    double sum = 0;
                    for (int c = 0; c < classes; c++) sum += Math.exp(x.get(base + c * inner) - max);
                    double lse = max + Math.log(sum);
                    for (int c = 0; c < classes; c++) logp[base + c * inner] = x.get(base + c * inner) - lse;
                }
            }
            Value loss = nll(n, logp, x.shape, in[1], in.length > 2 ? in[2] : null, x);
            return new Value[] {loss, Value.ofDoubles(x.type, x.shape, logp)};
        });
    }

    /** The loss of log-probabilities {@code logp} (shape {@code [N, C, d...]}) against integer {@code target}. */
    private static Value nll(Node n, double[] logp, int[] shape, Value target, Value weight, Value like) {
        String reduction = Attrs.s(n, "reduction", "mean");
        boolean hasIgnore = n.attribute("ignore_index").isPresent();
        long ignore = Attrs.i(n, "ignore_index", 0);
        int batch = shape[0];
        int classes = shape[1];
        int inner = logp.length / (batch * classes);
        double[] loss = new double[batch * inner];
        double total = 0;
        double weights = 0;
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < inner; i++) {
                long t = (long) target.get(b * inner + i);
                if (hasIgnore && t == ignore) {
                    continue;
                }
                double w = weight == null ? 1 : weight.get((int) t);
                double l = -logp[(b * classes + (int) t) * inner + i] * w;
                loss[b * inner + i] = l;
                total += l;
                weights += w;
            }
        }
        return switch (reduction) {
            case "none" -> Value.ofDoubles(like.type, target.shape, loss);
            case "sum" -> Value.ofDoubles(like.type, new int[0], new double[] {total});
            default -> Value.ofDoubles(like.type, new int[0], new double[] {weights == 0 ? 0 : total / weights});
        };
    }
}
