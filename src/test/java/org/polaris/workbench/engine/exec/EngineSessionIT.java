package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.runtime.NodeTiming;

import ai.onnx.proto.OnnxMl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.data.IdxDataset;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.data.RandomDataset;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;
import org.polaris.workbench.engine.onnx.OrtSessions;
import org.polaris.workbench.engine.quant.QuantEvaluator;
import org.polaris.workbench.engine.quant.QuantOptions;
import org.polaris.workbench.engine.quant.QuantRequest;
import org.polaris.workbench.engine.quant.QuantizeService;
import org.polaris.workbench.testutil.Protos;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Differential tests: the engine against ONNX Runtime on every sample it supports, FP32 and QDQ-quantized.
 * Tolerance: |engine - ORT| <= 1e-4 * max|ORT output| + 1e-6 element-wise (summation order differs).
 */
class EngineSessionIT {

    @TempDir
    Path tmp;

    private static void assertMatchesOrt(Path file, int batch) throws Exception {
        OnnxModel m = new OnnxModelReader().read(file);
        ValueInfo in = m.graph().feedInputs().get(0);
        long[] dims = in.type().shape().stream().mapToLong(d -> d.isFixed() ? d.value() : batch).toArray();
        Tensor x = new RandomDataset(Arrays.copyOfRange(dims, 1, dims.length), (int) dims[0], 11)
                .batch(0, (int) dims[0]).withName(in.name());
        Map<String, Tensor> ours = EngineSession.load(m, EnginePool.shared()).run(Map.of(in.name(), x), true);
        Map<String, Tensor> ref = OrtSessions.run(Files.readAllBytes(file), Map.of(in.name(), x));
        for (Map.Entry<String, Tensor> e : ref.entrySet()) {
            float[] r = e.getValue().toFloats();
            float[] o = ours.get(e.getKey()).toFloats();
            assertThat(ours.get(e.getKey()).dims()).isEqualTo(e.getValue().dims());
            double scale = 0;
            for (float v : r) scale = Math.max(scale, Math.abs(v));
            for (int i = 0; i < r.length; i++) {
                assertThat((double) Math.abs(r[i] - o[i])).as("%s %s[%d]", file.getFileName(), e.getKey(), i)
                        .isLessThanOrEqualTo(1e-4 * scale + 1e-6);
            }
        }
    }

    @Test
    void samplesMatchOnnxRuntime() throws Exception {
        for (Path p : List.of(TestData.MNIST8, TestData.FASHION_MLP, TestData.FASHION_CNN, TestData.MOBILENET)) {
            assertMatchesOrt(p, 3);
        }
    }

    @Test
    void qdqQuantizedModelsMatchOnnxRuntime() throws Exception {
        var data = IdxDataset.open(TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz"),
                Preprocessing.unitScale(), 200);
        // symmetric int8 activations: zero point 0 of a signed code, so the folded Relu must clamp the codes itself
        QuantOptions symmetric = new QuantOptions(QuantOptions.Mode.STATIC, 8, true, true,
                org.polaris.workbench.engine.quant.IntType.INT8, true, 32, QuantOptions.Int4Format.MATMUL_NBITS,
                org.polaris.workbench.engine.quant.Calibration.parse("percentile"), java.util.Set.of());
        for (Path model : List.of(TestData.FASHION_CNN, TestData.FASHION_MLP, TestData.FASHION_CNN)) {
            boolean sym = Files.exists(tmp.resolve("q-" + model.getFileName()));
            Path out = tmp.resolve((sym ? "qs-" : "q-") + model.getFileName());
            new QuantizeService().run(new QuantRequest(model, out, false, sym ? symmetric : QuantOptions.staticInt8(), data, 64, data,
                    new QuantEvaluator.Settings(100, 2, 1, 1, 1), null, 0.9, 0, false), ProgressSink.NONE,
                    CancellationToken.none());
            assertMatchesOrt(out, 2);
            // quantized convolutions and Linear layers run as integer QLinearConv / QGemm
            OnnxModel q = new OnnxModelReader().read(out);
            List<String> ops = EngineSession.load(q, EnginePool.shared()).prepared().graph().nodes().stream()
                    .map(org.polaris.workbench.engine.model.Node::opType).toList();
            long convs = q.graph().nodes().stream().filter(n -> n.opType().equals("Conv")).count();
            assertThat(ops.stream().filter("QLinearConv"::equals).count()).isEqualTo(convs);
            // a Gemm is fused when its output (or that of the Relu after it) is quantized; the logits layer is not
            java.util.Set<String> quantized = q.graph().nodes().stream().filter(n -> n.opType().equals("QuantizeLinear"))
                    .map(n -> n.inputs().get(0)).collect(java.util.stream.Collectors.toSet());
            java.util.Map<String, String> reluOut = new java.util.HashMap<>();
            q.graph().nodes().stream().filter(n -> n.opType().equals("Relu")).forEach(n -> reluOut.put(n.inputs().get(0), n.outputs().get(0)));
            long gemms = q.graph().nodes().stream().filter(n -> n.opType().equals("Gemm")).map(n -> n.outputs().get(0))
                    .filter(o -> quantized.contains(o) || quantized.contains(reluOut.get(o))).count();
            assertThat(gemms).isPositive();
            assertThat(ops.stream().filter("QGemm"::equals).count()).isEqualTo(gemms);
            assertThat(ops).doesNotContain("Conv");
        }
    }

    @Test
    void qOperatorInt8ModelAgreesWithOnnxRuntime() throws Exception {
        Path model = Path.of("../shared/models/mobilenetv2-12-int8/mobilenetv2-12-int8.onnx");
        // Outside the repository: ../shared is laid beside the checkout for sessions and CI.
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(model) && Files.isDirectory(Path.of("../shared/images")),
                "the shared int8 model and photos are not beside this checkout");
        Path photos = Path.of("../shared/images");
        var data = org.polaris.workbench.engine.data.ImageFolderDataset.open(photos, Preprocessing.imagenet(), 1);
        OnnxModel m = new OnnxModelReader().read(model);
        EngineSession s = EngineSession.load(m, EnginePool.shared());
        byte[] bytes = Files.readAllBytes(model);
        long allocatedAfterFirst = -1;
        for (int i = 0; i < data.size(); i++) {
            Tensor x = data.batch(i, 1).withName("input");
            float[] ours = s.run(Map.of("input", x), false).get("output").toFloats();
            float[] ref = OrtSessions.run(bytes, Map.of("input", x)).get("output").toFloats();
            assertThat(argmax(ours)).as("photo %d", i).isEqualTo(argmax(ref));
            // float32 requantization as ONNX Runtime does it: the int8 pipeline is bit-exact end to end, also on the
            // later photos, whose 8-bit codes land in arrays the arena recycled from the earlier runs
            assertThat(ours).as("photo %d", i).containsExactly(ref);
            if (i == 0) {
                allocatedAfterFirst = s.bufferStats()[1];
            }
        }
        assertThat(data.size()).isGreaterThan(1);
        // after the first run every float and code array comes from the arena
        assertThat(s.bufferStats()[1]).isEqualTo(allocatedAfterFirst);
    }

    private static int argmax(float[] v) {
        int b = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[b]) b = i;
        return b;
    }

    @Test
    void profileCoversEveryNodeWithCosts() throws Exception {
        OnnxModel m = new OnnxModelReader().read(TestData.FASHION_CNN);
        EngineSession s = EngineSession.load(m, EnginePool.shared());
        s.run(Map.of("image", Tensor.ofFloats("image", new long[] {1, 1, 28, 28}, new float[784])), true);
        List<NodeTiming> p = s.lastProfile();
        // Relu is folded into the Conv/Gemm before it at load, so 10 graph nodes run as 7.
        assertThat(p).hasSize(7);
        NodeTiming conv2 = p.stream().filter(t -> t.node().equals("/conv2/Conv")).findFirst().orElseThrow();
        // 32 output channels x 14 x 14 positions x 16 x 3 x 3 multiply-adds x 2
        assertThat(conv2.flops()).isEqualTo(2L * 32 * 14 * 14 * 16 * 9);
        assertThat(p).allMatch(t -> t.nanos() >= 0 && t.bytes() > 0);
    }

    @Test
    void laterRunsReuseBuffersAndGiveTheSameResults() throws Exception {
        OnnxModel m = new OnnxModelReader().read(TestData.MOBILENET);
        EngineSession s = EngineSession.load(m, EnginePool.shared());
        Tensor a = new RandomDataset(new long[] {3, 224, 224}, 2, 1).batch(0, 1).withName("input");
        Tensor b = new RandomDataset(new long[] {3, 224, 224}, 2, 1).batch(1, 1).withName("input");
        float[] first = s.run(Map.of("input", a), false).get("predictions").toFloats();
        long allocatedAfterFirst = s.bufferStats()[1];
        float[] other = s.run(Map.of("input", b), false).get("predictions").toFloats();
        float[] again = s.run(Map.of("input", a), false).get("predictions").toFloats();
        assertThat(again).containsExactly(first);
        assertThat(other).isNotEqualTo(first);
        // after the first run every intermediate comes from the arena
        assertThat(s.bufferStats()[1]).isEqualTo(allocatedAfterFirst);
        assertThat(s.bufferStats()[0]).isPositive();
        // and the arena does not grow from run to run (copied feeds used to pile up in it)
        long pooled = s.bufferStats()[2];
        for (int i = 0; i < 5; i++) {
            s.run(Map.of("input", a), false);
        }
        assertThat(s.bufferStats()[2]).isEqualTo(pooled);
    }

    @Test
    void unsupportedOpsAreNamedBeforeAnyRun() throws Exception {
        OnnxMl.GraphProto g = OnnxMl.GraphProto.newBuilder().setName("g")
                .addNode(OnnxMl.NodeProto.newBuilder().setName("coin1").setOpType("Bernoulli").addInput("x").addOutput("y"))
                .addInput(Protos.tensorValue("x", 1, 2)).addOutput(Protos.tensorValue("y", 1, 2)).build();
        Path f = Files.write(tmp.resolve("bernoulli.onnx"), Protos.model(g, 15).toByteArray());
        OnnxModel m = new OnnxModelReader().read(f);
        assertThatThrownBy(() -> EngineSession.load(m, EnginePool.shared()))
                .isInstanceOf(UnsupportedOpsException.class).hasMessageContaining("Bernoulli (coin1)");
    }
}
