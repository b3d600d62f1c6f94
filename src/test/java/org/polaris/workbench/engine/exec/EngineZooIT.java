package org.polaris.workbench.engine.exec;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.data.RandomDataset;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.onnx.OrtSessions;
import org.polaris.workbench.engine.quant.QuantEvaluator;
import org.polaris.workbench.engine.quant.QuantOptions;
import org.polaris.workbench.engine.quant.QuantRequest;
import org.polaris.workbench.engine.quant.QuantizeService;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine against ONNX Runtime on torchvision's MobileNetV2, ResNet18 and SqueezeNet 1.1 (random weights,
 * exported here with Debian's PyTorch), FP32 and static-INT8 QDQ. Skipped without python3-torchvision locally;
 * CI installs it, so there it must run.
 */
class EngineZooIT {

    private static final Path MODELS = Path.of("target/bench-models");

    @TempDir
    Path tmp;

    @BeforeAll
    static void export() throws Exception {
        boolean have = Files.exists(MODELS.resolve("squeezenet1_1.onnx")) && Files.exists(MODELS.resolve("resnet18.onnx"))
                && Files.exists(MODELS.resolve("mobilenet_v2.onnx"));
        if (!have) {
            Process p = new ProcessBuilder("/usr/bin/python3", "src/bench/python/make_bench_models.py", MODELS.toString())
                    .redirectErrorStream(true).start();
            p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            have = p.waitFor() == 0;
        }
        if (!have && System.getenv("CI") != null) {
            throw new IllegalStateException("CI must install python3-torch and python3-torchvision for EngineZooIT");
        }
        Assumptions.assumeTrue(have, "python3-torchvision is not installed");
    }

    private static Tensor input(OnnxModel m) {
        var in = m.graph().feedInputs().get(0);
        return new RandomDataset(new long[] {3, 224, 224}, 1, 17).batch(0, 1).withName(in.name());
    }

    private static void assertClose(Path file, double rel) throws Exception {
        OnnxModel m = new OnnxModelReader().read(file);
        Tensor x = input(m);
        Map<String, Tensor> ours = EngineSession.load(m, EnginePool.shared()).run(Map.of(x.name(), x), false);
        Map<String, Tensor> ref = OrtSessions.run(Files.readAllBytes(file), Map.of(x.name(), x));
        for (var e : ref.entrySet()) {
            float[] r = e.getValue().toFloats();
            float[] o = ours.get(e.getKey()).toFloats();
            double scale = 0;
            for (float v : r) scale = Math.max(scale, Math.abs(v));
            for (int i = 0; i < r.length; i++) {
                assertThat((double) Math.abs(r[i] - o[i])).as("%s[%d]", file.getFileName(), i)
                        .isLessThanOrEqualTo(rel * scale + 1e-9);
            }
        }
    }

    @Test
    void fp32ModelsMatchOnnxRuntime() throws Exception {
        for (String m : List.of("mobilenet_v2.onnx", "resnet18.onnx", "squeezenet1_1.onnx")) {
            assertClose(MODELS.resolve(m), 1e-4);
        }
    }

    @Test
    void qdqQuantizedModelsMatchOnnxRuntime() throws Exception {
        for (String m : List.of("mobilenet_v2.onnx", "squeezenet1_1.onnx")) {
            Path out = tmp.resolve("q-" + m);
            var data = new RandomDataset(new long[] {3, 224, 224}, 16, 3);
            new QuantizeService().run(new QuantRequest(MODELS.resolve(m), out, false, QuantOptions.staticInt8(), data, 8,
                    data, new QuantEvaluator.Settings(4, 2, 1, 1, 1), null, 0.5), ProgressSink.NONE, CancellationToken.none());
            // The engine evaluates QDQ in float (dequantize, compute, quantize): rounding at Q steps may differ by
            // one step from ONNX Runtime's fused integer kernels, so the tolerance is a few output steps.
            assertClose(out, 2e-2);
        }
    }
}
