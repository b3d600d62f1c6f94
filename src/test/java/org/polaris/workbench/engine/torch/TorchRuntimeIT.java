package org.polaris.workbench.engine.torch;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.data.IdxDataset;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.onnx.OrtSessions;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The TorchScript samples through DJL's PyTorch against their ONNX twins through ONNX Runtime, on real images. */
class TorchRuntimeIT {

    @Test
    void torchScriptSamplesMatchTheirOnnxTwins() throws Exception {
        Tensor x = IdxDataset.open(TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz"),
                Preprocessing.unitScale(), 64).batch(0, 64).withName("image");
        for (String name : List.of("fashion_cnn", "fashion_mlp")) {
            Path pt = TestData.SAMPLES.resolve("fashion-mnist/" + name + ".pt");
            float[] torch;
            try (TorchRuntime rt = TorchRuntime.open(pt, 1)) {
                torch = rt.run(Map.of("image", x)).get("output_0").toFloats();
                assertThat(rt.parameters()).containsKeys("fc1.weight", "fc2.bias");
                assertThat(rt.parameters().get("fc1.weight").dims()[1]).isIn(784L, 1568L);
            }
            float[] ort = OrtSessions.run(Files.readAllBytes(pt.resolveSibling(name + ".onnx")), Map.of("image", x))
                    .get("logits").toFloats();
            assertThat(torch).hasSameSizeAs(ort);
            double scale = 0;
            for (float v : ort) scale = Math.max(scale, Math.abs(v));
            for (int i = 0; i < ort.length; i++) {
                assertThat((double) Math.abs(torch[i] - ort[i])).as("%s[%d]", name, i).isLessThanOrEqualTo(1e-4 * scale);
            }
        }
    }

    @Test
    void notATorchScriptFileIsAClearError() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TorchRuntime.open(TestData.FASHION_CNN, 1))
                .isInstanceOf(org.polaris.workbench.engine.model.ModelLoadException.class)
                .hasMessageContaining("TorchScript");
    }
}
