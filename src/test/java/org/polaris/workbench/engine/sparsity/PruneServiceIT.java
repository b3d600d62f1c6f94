package org.polaris.workbench.engine.sparsity;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.testutil.TestData;
import org.polaris.workbench.engine.data.Dataset;
import org.polaris.workbench.engine.data.IdxDataset;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.CancelledException;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.onnx.OrtModelSession;
import org.polaris.workbench.engine.quant.QuantEvaluator;
import org.polaris.workbench.engine.quant.QuantMath;
import org.polaris.workbench.engine.quant.QuantizationException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Pruning the Fashion-MNIST samples end to end: the written file, re-loaded in a fresh ONNX Runtime session. */
class PruneServiceIT {

    private static final Path IMAGES = TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz");

    @TempDir
    Path tmp;

    private static Dataset data(int n) throws Exception {
        return IdxDataset.open(IMAGES, Preprocessing.unitScale(), n);
    }

    private PruneService.Request request(Path model, Path out, String method, double s, String scope) throws Exception {
        return new PruneService.Request(model, out, false, PruneMethod.parse(method), s, scope, Set.of(), data(300),
                new QuantEvaluator.Settings(300, 10, 2, 1, 1), out.resolveSibling(out.getFileName() + ".report.json"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void globalMagnitudeKeepsAccuracyAndTheFileHoldsTheZeros() throws Exception {
        Path out = tmp.resolve("cnn-pruned.onnx");
        byte[] before = Files.readAllBytes(TestData.FASHION_CNN);
        PruneService.Result r = new PruneService().run(request(TestData.FASHION_CNN, out, "magnitude", 0.5, "global"),
                ProgressSink.NONE, CancellationToken.none());
        assertThat(Files.readAllBytes(TestData.FASHION_CNN)).isEqualTo(before);
        assertThat(r.overallSparsity()).isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-4));
        assertThat(r.layers()).hasSize(4);
        // global scope: the big layers lose more than the small first convolution
        java.util.Comparator<PruneService.Layer> bySize = java.util.Comparator.comparingLong(
                l -> java.util.Arrays.stream(l.shape()).reduce(1, (a, b) -> a * b));
        PruneService.Layer biggest = r.layers().stream().max(bySize).orElseThrow();
        PruneService.Layer smallest = r.layers().stream().min(bySize).orElseThrow();
        assertThat(biggest.sparsity()).isGreaterThan(smallest.sparsity() + 0.2);
        assertThat(r.comparison().original().accuracy()).isNotNull();
        assertThat(r.comparison().quantized().accuracy()).isGreaterThan(r.comparison().original().accuracy() - 0.03);

        // what a user gets: the file re-read has those zeros, and a fresh session follows the original closely
        OnnxModel written = new OnnxModelReader().read(out);
        long zeros = 0, total = 0;
        for (PruneService.Layer l : r.layers()) {
            Tensor t = written.graph().initializers().stream().filter(x -> x.name().equals(l.name())).findFirst().orElseThrow();
            zeros += PruneService.countZeros(t.toFloats());
            total += t.toFloats().length;
        }
        assertThat((double) zeros / total).isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-4));
        Tensor x = data(64).batch(0, 64).withName("image");
        try (OrtModelSession a = OrtModelSession.open(before, OrtModelSession.Config.singleThread(OrtModelSession.Optimization.ALL));
             OrtModelSession b = OrtModelSession.open(Files.readAllBytes(out), OrtModelSession.Config.singleThread(OrtModelSession.Optimization.ALL))) {
            float[] ya = a.run(Map.of("image", x)).values().iterator().next().toFloats();
            float[] yb = b.run(Map.of("image", x)).values().iterator().next().toFloats();
            assertThat(QuantMath.cosine(ya, yb)).isGreaterThan(0.95).isLessThan(1.0);
        }
        Map<String, Object> report = new com.fasterxml.jackson.databind.ObjectMapper()
                .readValue(out.resolveSibling("cnn-pruned.onnx.report.json").toFile(), new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() { });
        assertThat(report).containsKeys("original", "pruned", "agreement", "layers");
        assertThat((Map<String, Object>) report.get("pruned")).containsKeys("fileBytes", "accuracy", "latencyMs");
        try (var files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("cnn-pruned.onnx",
                    "cnn-pruned.onnx.report.json");
        }
    }

    @Test
    void twoOfFourHoldsInTheWrittenMlp() throws Exception {
        Path out = tmp.resolve("mlp-24.onnx");
        PruneService.Result r = new PruneService().run(request(TestData.FASHION_MLP, out, "nm:2:4", 0.1, "layer"),
                ProgressSink.NONE, CancellationToken.none());
        assertThat(r.requestedSparsity()).isEqualTo(0.5);
        OnnxModel written = new OnnxModelReader().read(out);
        for (PruneService.Layer l : r.layers()) {
            Tensor t = written.graph().initializers().stream().filter(x -> x.name().equals(l.name())).findFirst().orElseThrow();
            // Gemm weights here are [out, in] (transB): groups of 4 run along each row
            float[] w = t.toFloats();
            int cols = (int) t.dims()[1];
            for (int row = 0; row < t.dims()[0]; row++) {
                for (int g = 0; g + 4 <= cols; g += 4) {
                    int z = 0;
                    for (int i = 0; i < 4; i++) if (w[row * cols + g + i] == 0f) z++;
                    assertThat(z).as("%s row %d group %d", l.name(), row, g).isGreaterThanOrEqualTo(2);
                }
            }
        }
    }

    @Test
    void refusesBadRequestsAndLeavesNothingBehind() throws Exception {
        Path out = tmp.resolve("x.onnx");
        assertThatThrownBy(() -> new PruneService().run(request(TestData.FASHION_CNN, out, "nm:2:4", 0.5, "global"),
                ProgressSink.NONE, CancellationToken.none())).isInstanceOf(QuantizationException.class)
                .hasMessageContaining("--method magnitude");
        assertThatThrownBy(() -> new PruneService().run(request(TestData.FASHION_CNN, TestData.FASHION_CNN, "magnitude", 0.5, "layer"),
                ProgressSink.NONE, CancellationToken.none())).isInstanceOf(Exception.class);
        CancellationToken cancel = CancellationToken.none();
        cancel.cancel();
        assertThatThrownBy(() -> new PruneService().run(request(TestData.FASHION_CNN, out, "magnitude", 0.5, "layer"),
                ProgressSink.NONE, cancel)).isInstanceOf(CancelledException.class);
        try (var files = Files.list(tmp)) {
            assertThat(files.toList()).isEmpty();
        }
    }
}
