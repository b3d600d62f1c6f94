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
    void inspectShowsTorchScriptParametersWithTheOnnxTwinsSignature() throws Exception {
        var in = new org.polaris.workbench.engine.inspect.ModelInspector().inspect(
                TestData.SAMPLES.resolve("fashion-mnist/fashion_cnn.pt"),
                org.polaris.workbench.engine.job.ProgressSink.NONE, org.polaris.workbench.engine.job.CancellationToken.none());
        // TorchScript keeps BatchNorm unfolded: 96 more trainable parameters than the ONNX export's 105,866
        assertThat(in.summary().parameters()).isEqualTo(105_962);
        assertThat(in.summary().weights()).extracting(w -> w.name()).contains("bn1.weight", "fc1.weight");
        assertThat(in.summary().inputs()).extracting(v -> v.name()).containsExactly("image");
        assertThat(in.runtime().runtimeVersion()).contains("PyTorch");
    }

    @Test
    void fakeQuantWritesAPtThatStillAgrees(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        var data = IdxDataset.open(TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz"),
                Preprocessing.unitScale(), 300);
        Path out = tmp.resolve("cnn-w8.pt");
        var r = new org.polaris.workbench.engine.quant.TorchQuantizer().fakeQuantize(
                TestData.SAMPLES.resolve("fashion-mnist/fashion_cnn.pt"), out, tmp.resolve("cnn-w8.json"),
                org.polaris.workbench.engine.io.OutputPolicy.createNew(), 8, data, 300, 0.99);
        assertThat(out).exists();
        assertThat(r.agreement().top1()).isGreaterThan(0.98);
        assertThat(r.layers()).extracting(l -> l.name()).contains("conv1.weight", "fc1.weight");
        assertThat(r.layers()).allMatch(l -> l.sqnrDb() > 30);
        // the written file really holds the quantized weights: every fc1 row takes at most 255 distinct values
        try (TorchRuntime rt = TorchRuntime.open(out, 1)) {
            float[] w = rt.parameters().get("fc1.weight").toFloats();
            java.util.Set<Float> row0 = new java.util.HashSet<>();
            for (int i = 0; i < 1568; i++) row0.add(w[i]);
            assertThat(row0.size()).isLessThanOrEqualTo(255);
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new org.polaris.workbench.engine.quant.TorchQuantizer()
                .fakeQuantize(TestData.SAMPLES.resolve("fashion-mnist/fashion_cnn.pt"), out, tmp.resolve("other.json"),
                        org.polaris.workbench.engine.io.OutputPolicy.createNew(), 8, data, 10, 0.9))
                .isInstanceOf(org.polaris.workbench.engine.io.OutputException.class)
                .hasMessageContaining("exists");
    }

    @Test
    void notATorchScriptFileIsAClearError() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TorchRuntime.open(TestData.FASHION_CNN, 1))
                .isInstanceOf(org.polaris.workbench.engine.model.ModelLoadException.class)
                .hasMessageContaining("TorchScript");
    }

    @Test
    void aFileLibtorchRejectsIsReportedFromTheChildProcess(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        // a well-formed archive whose TorchScript code does not parse: the archive check passes, libtorch refuses it
        Path pt = TestData.SAMPLES.resolve("fashion-mnist/fashion_mlp.pt");
        Path bad = org.polaris.workbench.testutil.Zips.rewrite(pt, tmp.resolve("bad-code.pt"), (n, d) ->
                n.endsWith("code/__torch__.py") ? ("class Mlp(Module):\n  def forward(self, x: Tensor) -> Tensor:\n"
                        + "    return x +* )\n").getBytes(java.nio.charset.StandardCharsets.UTF_8) : d);
        TorchArchive.check(bad);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TorchRuntime.open(bad, 1))
                .isInstanceOf(org.polaris.workbench.engine.model.ModelLoadException.class)
                .hasMessageStartingWith(bad + ": PyTorch");
    }
}
