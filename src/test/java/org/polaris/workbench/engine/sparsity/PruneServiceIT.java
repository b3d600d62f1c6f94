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
                new QuantEvaluator.Settings(300, 10, 2, 1, 1), out.resolveSibling(out.getFileName() + ".report.json"), false, 0,
                Allocation.Strategy.UNIFORM);
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
    void sparseStorageShrinksTheFileAndOnnxRuntimeComputesTheSameOutputs() throws Exception {
        Path dense = tmp.resolve("mlp-dense.onnx");
        Path sparse = tmp.resolve("mlp-sparse.onnx");
        PruneService.Result d = new PruneService().run(request(TestData.FASHION_MLP, dense, "magnitude", 0.8, "global"),
                ProgressSink.NONE, CancellationToken.none());
        PruneService.Result s = new PruneService().run(request(TestData.FASHION_MLP, sparse, "magnitude", 0.8, "global")
                .withSparseStorage(true), ProgressSink.NONE, CancellationToken.none());
        assertThat(s.layers()).allSatisfy(l -> assertThat(l.format()).startsWith("sparse "));
        assertThat(d.layers()).allSatisfy(l -> assertThat(l.format()).isEqualTo("dense"));
        // values (4 bytes) + 2-byte indices (fc1 in row blocks of <= 32,768) for 20% of the weights: > 3x smaller
        assertThat((double) Files.size(TestData.FASHION_MLP) / Files.size(sparse)).isGreaterThan(3.0);
        assertThat(s.layers().get(0).format()).isEqualTo("sparse linear int16 in 4 blocks");
        assertThat(Files.size(dense)).isGreaterThan(Files.size(TestData.FASHION_MLP) - 100);
        assertThat(s.comparison().quantized().fileBytes()).isEqualTo(Files.size(sparse));
        // the same weights: our reader densifies them to the dense file's bytes, ONNX Runtime to the same outputs
        OnnxModel a = new OnnxModelReader().read(dense);
        OnnxModel blocks = new OnnxModelReader().read(sparse);
        assertThat(blocks.graph().nodes().get(0).opType()).isEqualTo("Concat");
        OnnxModel b = org.polaris.workbench.engine.model.SparseChunks.fold(blocks);
        assertThat(b.graph().initializers()).hasSameSizeAs(a.graph().initializers());
        for (Tensor t : a.graph().initializers()) {
            Tensor u = b.graph().initializers().stream().filter(x -> x.name().equals(t.name())).findFirst().orElseThrow();
            assertThat(java.util.Arrays.equals(u.raw(), t.raw())).as(t.name()).isTrue();
        }
        Tensor x = data(64).batch(0, 64).withName("image");
        try (OrtModelSession sa = OrtModelSession.open(Files.readAllBytes(dense), OrtModelSession.Config.singleThread(OrtModelSession.Optimization.ALL));
             OrtModelSession sb = OrtModelSession.open(Files.readAllBytes(sparse), OrtModelSession.Config.singleThread(OrtModelSession.Optimization.ALL))) {
            assertThat(sb.run(Map.of("image", x)).values().iterator().next().toFloats())
                    .containsExactly(sa.run(Map.of("image", x)).values().iterator().next().toFloats());
        }
    }

    @Test
    void channelPruningShrinksTheCnnAndOnnxRuntimeRunsIt() throws Exception {
        Path out = tmp.resolve("cnn-channels.onnx");
        PruneService.Result r = new PruneService().run(new PruneService.Request(TestData.FASHION_CNN, out, false,
                PruneMethod.parse("channel"), 0.3, "layer", Set.of(), data(300), new QuantEvaluator.Settings(300, 10, 2, 1, 1),
                tmp.resolve("r.json"), false, 16, Allocation.Strategy.UNIFORM), ProgressSink.NONE, CancellationToken.none());
        // conv1 (16) keeps its one block of 16, conv2 32 -> 16, fc1 64 -> 48, fc2 feeds the logits
        assertThat(r.layers()).extracting(PruneService.Layer::format).containsExactly("channels 32->16", "channels 64->48");
        assertThat(r.skipped()).extracting(k -> k.node()).containsExactly("/conv1/Conv", "/fc2/Gemm");
        assertThat(Files.size(out) * 2).isLessThan(Files.size(TestData.FASHION_CNN));
        OnnxModel written = new OnnxModelReader().read(out);
        Tensor fc1 = written.graph().initializers().stream().filter(t -> t.name().equals("fc1.weight")).findFirst().orElseThrow();
        assertThat(fc1.dims()).containsExactly(48, 16 * 7 * 7);
        assertThat(r.comparison().quantized().accuracy()).isGreaterThan(r.comparison().original().accuracy() - 0.08);
        assertThat(r.comparison().agreement().samples()).isEqualTo(300);
    }

    @Test
    void sensitivityAllocationScansEveryLayerAndMeetsTheTarget() throws Exception {
        Path out = tmp.resolve("cnn-sens.onnx");
        PruneService.Result r = new PruneService().run(request(TestData.FASHION_CNN, out, "magnitude", 0.6, "layer")
                .withAllocation(Allocation.Strategy.SENSITIVITY), ProgressSink.NONE, CancellationToken.none());
        assertThat(r.sensitivity().curves()).hasSize(4);
        assertThat(r.sensitivity().curves()).allSatisfy(c -> assertThat(c.points()).hasSize(PruneService.SCAN_LEVELS.length + 1));
        assertThat(r.sensitivity().labelled()).isTrue();
        assertThat(r.overallSparsity()).isCloseTo(0.6, org.assertj.core.data.Offset.offset(0.005));
        // layers differ: the allocation is not uniform
        assertThat(r.layers().stream().mapToDouble(PruneService.Layer::sparsity).max().orElseThrow()
                - r.layers().stream().mapToDouble(PruneService.Layer::sparsity).min().orElseThrow()).isGreaterThan(0.1);
        assertThat(Files.readString(out.resolveSibling("cnn-sens.onnx.report.json"))).contains("\"sensitivity\"", "\"curves\"");
    }

    @Test
    void pruneThenQuantizeKeepsTheZerosAsInt8CodesAndShrinksTheFile() throws Exception {
        Path out = tmp.resolve("cnn-p-q.onnx");
        PruneService.Result r = new PruneService().run(request(TestData.FASHION_CNN, out, "magnitude", 0.6, "global")
                .withQuantizeInt8(true), ProgressSink.NONE, CancellationToken.none());
        // every layer in int8, but a stem the quantizer's speed check timed slower in int8 (then it says so)
        assertThat(r.layers()).allSatisfy(l -> assertThat(l.format()).matches("int8 .*|.*kept float: int8 measured slower"));
        assertThat(r.layers()).filteredOn(l -> l.format().startsWith("int8 ")).hasSizeGreaterThanOrEqualTo(3);
        assertThat((double) Files.size(TestData.FASHION_CNN) / Files.size(out)).isGreaterThan(3.5);
        // the written file: int8 weight codes behind DequantizeLinear, each holding its layer's pruned zeros
        OnnxModel q = new OnnxModelReader().read(out);
        assertThat(q.graph().nodes()).anyMatch(n -> n.opType().equals("DequantizeLinear"));
        long zeroCodes = 0;
        long codes = 0;
        for (Tensor t : q.graph().initializers()) {
            if (t.dataType() == org.polaris.workbench.engine.model.DataType.INT8 && t.elementCount() > 100) {
                for (byte b : t.raw()) if (b == 0) zeroCodes++;
                codes += t.elementCount();
            }
        }
        assertThat((double) zeroCodes / codes).isGreaterThan(0.599); // 60% of all weights, rounded per layer
        assertThat(r.comparison().quantized().accuracy()).isGreaterThan(r.comparison().original().accuracy() - 0.03);
        try (var files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("cnn-p-q.onnx",
                    "cnn-p-q.onnx.report.json");
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
