package org.polaris.workbench.engine.exec;

import ai.onnx.proto.OnnxMl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.data.RandomDataset;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.OnnxModelWriter;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.onnx.OrtSessions;
import org.polaris.workbench.engine.sparsity.PruneMethod;
import org.polaris.workbench.engine.sparsity.PruneService;
import org.polaris.workbench.engine.sparsity.Pruner;
import org.polaris.workbench.testutil.Protos;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pruned Gemm, MatMul and 1x1 Conv layers on the engine's CSR path give ONNX Runtime's outputs; the path is forced
 * with {@code polaris.sparse=always} so the comparison does not depend on which kernel is faster on this machine.
 */
class SparseExecutionIT {

    @TempDir
    Path tmp;

    private static EngineSession load(OnnxModel m, String mode) throws Exception {
        String before = System.getProperty("polaris.sparse");
        System.setProperty("polaris.sparse", mode);
        try {
            return EngineSession.load(m, EnginePool.shared());
        } finally {
            if (before == null) System.clearProperty("polaris.sparse");
            else System.setProperty("polaris.sparse", before);
        }
    }

    /** The Fashion MLP with every Gemm weight pruned to 90%. */
    private Path prunedMlp() throws Exception {
        OnnxModel m = new OnnxModelReader().read(TestData.FASHION_MLP);
        List<Tensor> inits = new ArrayList<>();
        Set<String> weights = new java.util.HashSet<>();
        PruneService.targets(m, Set.of()).forEach(t -> weights.add(t.weight()));
        for (Tensor t : m.graph().initializers()) {
            if (!weights.contains(t.name())) {
                inits.add(t);
                continue;
            }
            int[] rc = Pruner.rowsCols(t.dims(), 0);
            inits.add(Tensor.ofFloats(t.name(), t.dims(), Pruner.prune(t.toFloats(), rc[0], rc[1], PruneMethod.parse("magnitude"), 0.9)));
        }
        Path out = tmp.resolve("mlp90.onnx");
        new OnnxModelWriter().write(m.withGraph(m.graph().withInitializers(inits, Set.of())), out, false);
        return out;
    }

    @Test
    void prunedGemmLayersRunSparseAndMatchOnnxRuntime() throws Exception {
        Path file = prunedMlp();
        OnnxModel m = new OnnxModelReader().read(file);
        EngineSession sparse = load(m, "always");
        EngineSession dense = load(m, "never");
        assertThat(sparse.sparseWeights()).isEqualTo(3);
        assertThat(dense.sparseWeights()).isZero();
        for (int batch : new int[] {1, 7}) {
            Tensor x = new RandomDataset(new long[] {1, 28, 28}, batch, 3).batch(0, batch).withName("image");
            float[] ort = OrtSessions.run(Files.readAllBytes(file), Map.of("image", x)).get("logits").toFloats();
            Outputs.assertClose(ort, sparse.run(Map.of("image", x), false).get("logits").toFloats(), "sparse batch " + batch);
            Outputs.assertClose(ort, dense.run(Map.of("image", x), false).get("logits").toFloats(), "dense batch " + batch);
        }
        assertThat(sparse.sparseLayersUsed()).hasSize(3);
        assertThat(dense.sparseLayersUsed()).isEmpty();
        // left to measure, the engine picks a kernel per layer and batch and still computes the same
        EngineSession auto = load(m, "auto");
        Tensor x = new RandomDataset(new long[] {1, 28, 28}, 1, 4).batch(0, 1).withName("image");
        Outputs.assertClose(OrtSessions.run(Files.readAllBytes(file), Map.of("image", x)).get("logits").toFloats(),
                auto.run(Map.of("image", x), false).get("logits").toFloats(), "auto");
    }

    @Test
    void prunedPointwiseConvolutionAndMatMulMatchOnnxRuntime() throws Exception {
        Random r = new Random(8);
        float[] w = new float[32 * 16];
        for (int i = 0; i < w.length; i++) w[i] = r.nextFloat() < 0.85 ? 0f : (float) r.nextGaussian();
        float[] bias = new float[32];
        for (int i = 0; i < bias.length; i++) bias[i] = (float) r.nextGaussian();
        float[] mm = new float[7 * 5];
        for (int i = 0; i < mm.length; i++) mm[i] = r.nextFloat() < 0.7 ? 0f : (float) r.nextGaussian();
        OnnxMl.GraphProto g = OnnxMl.GraphProto.newBuilder().setName("pw")
                .addInput(Protos.tensorValue("x", 1, 2, 16, 5, 7))
                .addOutput(Protos.tensorValue("y", 1, 2, 32, 5, 5))
                .addNode(OnnxMl.NodeProto.newBuilder().setOpType("Conv").addInput("x").addInput("w").addInput("b").addOutput("c"))
                .addNode(OnnxMl.NodeProto.newBuilder().setOpType("MatMul").addInput("c").addInput("m").addOutput("y"))
                .addInitializer(Protos.floats("w", new long[] {32, 16, 1, 1}, w))
                .addInitializer(Protos.floats("b", new long[] {32}, bias))
                .addInitializer(Protos.floats("m", new long[] {7, 5}, mm))
                .build();
        Path file = Files.write(tmp.resolve("pw.onnx"), Protos.model(g, 13).toByteArray());
        OnnxModel m = new OnnxModelReader().read(file);
        EngineSession s = load(m, "always");
        // the MatMul's left operand is rank 4, so only the convolution takes the sparse path
        assertThat(s.sparseWeights()).isEqualTo(2);
        float[] xv = new float[2 * 16 * 5 * 7];
        for (int i = 0; i < xv.length; i++) xv[i] = (float) r.nextGaussian();
        Tensor x = Tensor.ofFloats("x", new long[] {2, 16, 5, 7}, xv);
        Outputs.assertClose(OrtSessions.run(Files.readAllBytes(file), Map.of("x", x)).get("y").toFloats(),
                s.run(Map.of("x", x), false).get("y").toFloats(), "pointwise");
        assertThat(s.sparseLayersUsed()).containsExactly("w");
    }
}
