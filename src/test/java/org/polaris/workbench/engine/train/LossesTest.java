package org.polaris.workbench.engine.train;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.inference.Runtimes;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.runtime.ModelRuntime;
import org.polaris.workbench.testutil.TestData;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

/** The training loss against ONNX's own loss ops, run by ONNX Runtime from the conformance models. */
class LossesTest {

    /** The mean of the loss op's output (test_sce_mean reduces to the mean itself; test_nllloss_NC does not reduce). */
    private static double ort(String test, Map<String, Tensor> feeds) throws Exception {
        var model = new OnnxModelReader().read(TestData.CONFORMANCE.resolve("node/" + test + "/model.onnx"));
        try (ModelRuntime rt = Runtimes.open(Runtimes.Kind.ORT, model, 1)) {
            float[] v = rt.run(feeds).values().iterator().next().toFloats();
            double s = 0;
            for (float f : v) s += f;
            return s / v.length;
        }
    }

    private static Tensor labels(String name, int[] y) {
        ByteBuffer b = ByteBuffer.allocate(8 * y.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : y) b.putLong(v);
        return new Tensor(name, DataType.INT64, new long[] {y.length}, b.array(), List.of(), null, "");
    }

    @Test
    void softmaxCrossEntropyIsOnnxSoftmaxCrossEntropyLossAndNllOfLogSoftmax() throws Exception {
        Random r = new Random(3);
        int batch = 3;
        int classes = 5;
        for (int trial = 0; trial < 4; trial++) {
            float[] logits = new float[batch * classes];
            for (int i = 0; i < logits.length; i++) logits[i] = (float) (3 * r.nextGaussian());
            int[] y = {r.nextInt(classes), r.nextInt(classes), r.nextInt(classes)};
            double ours = Losses.softmaxCrossEntropy(logits, y, batch, classes, new float[logits.length], null);
            double sce = ort("test_sce_mean", Map.of("x", Tensor.ofFloats("x", new long[] {batch, classes}, logits),
                    "y", labels("y", y)));
            assertThat(ours).isCloseTo(sce, offset(1e-5 * Math.max(1, Math.abs(sce))));
            float[] logp = new float[logits.length];
            for (int i = 0; i < batch; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < classes; c++) max = Math.max(max, logits[i * classes + c]);
                double sum = 0;
                for (int c = 0; c < classes; c++) sum += Math.exp(logits[i * classes + c] - max);
                for (int c = 0; c < classes; c++) logp[i * classes + c] = (float) (logits[i * classes + c] - max - Math.log(sum));
            }
            double nll = ort("test_nllloss_NC", Map.of("input", Tensor.ofFloats("input", new long[] {batch, classes}, logp),
                    "target", labels("target", y)));
            assertThat(ours).isCloseTo(nll, offset(1e-5 * Math.max(1, Math.abs(nll))));
        }
    }
}
