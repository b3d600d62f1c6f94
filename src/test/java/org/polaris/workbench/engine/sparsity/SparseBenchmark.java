package org.polaris.workbench.engine.sparsity;

import org.polaris.workbench.cli.SparseBenchCommand;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ProgressSink;

/**
 * Writes the sparse-kernel section of docs/benchmarks.md: {@code ./mvnw -q test-compile exec:exec@bench-sparse}.
 * The same measurement as {@code polaris-workbench sparse-bench}, for two weight shapes.
 */
public final class SparseBenchmark {

    private SparseBenchmark() {
    }

    /** One Gemm layer, y = x W^T + b with W [n, k] pruned to {@code sparsity}, as an ONNX model. */
    private static byte[] gemmModel(int n, int k, double sparsity) {
        java.util.Random r = new java.util.Random(3);
        float[] w = new float[n * k];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        w = Pruner.prune(w, n, k, PruneMethod.parse("magnitude"), sparsity);
        float[] b = new float[n];
        ai.onnx.proto.OnnxMl.GraphProto g = ai.onnx.proto.OnnxMl.GraphProto.newBuilder().setName("gemm")
                .addInput(org.polaris.workbench.testutil.Protos.tensorValue("x", 1, 1, k))
                .addOutput(org.polaris.workbench.testutil.Protos.tensorValue("y", 1, 1, n))
                .addNode(ai.onnx.proto.OnnxMl.NodeProto.newBuilder().setOpType("Gemm").addInput("x").addInput("w")
                        .addInput("b").addOutput("y").addAttribute(ai.onnx.proto.OnnxMl.AttributeProto.newBuilder()
                                .setName("transB").setType(ai.onnx.proto.OnnxMl.AttributeProto.AttributeType.INT).setI(1)))
                .addInitializer(org.polaris.workbench.testutil.Protos.floats("w", new long[] {n, k}, w))
                .addInitializer(org.polaris.workbench.testutil.Protos.floats("b", new long[] {n}, b))
                .build();
        return org.polaris.workbench.testutil.Protos.model(g, 13).toByteArray();
    }

    /** Whole-session timings: the engine with its sparse kernels (measured choice), forced dense, and ONNX Runtime. */
    private static String engineSection() throws Exception {
        StringBuilder s = new StringBuilder("### Pruned layers in the engine\n\n");
        s.append("EngineSession picks CSR or dense per layer and batch by timing both the first time a shape runs ")
                .append("(cached); `-Dpolaris.sparse=never` forces dense. Whole `run()` calls at batch 1, single ")
                .append("thread, median ms; ONNX Runtime on the same file in the same process.\n\n");
        s.append("| model | engine (sparse where faster) | engine (dense) | ONNX Runtime | engine sparse vs dense | vs ORT | layers on CSR |\n");
        s.append("|---|---:|---:|---:|---:|---:|---:|\n");
        for (double sp : new double[] {0.5, 0.9, 0.95}) {
            byte[] model = gemmModel(4096, 4096, sp);
            java.nio.file.Path f = java.nio.file.Files.createTempFile("gemm", ".onnx");
            java.nio.file.Files.write(f, model);
            org.polaris.workbench.engine.model.OnnxModel m = new org.polaris.workbench.engine.model.OnnxModelReader().read(f);
            java.nio.file.Files.delete(f);
            org.polaris.workbench.engine.model.Tensor x = org.polaris.workbench.engine.model.Tensor.ofFloats("x",
                    new long[] {1, 4096}, new float[4096]);
            java.util.Map<String, org.polaris.workbench.engine.model.Tensor> feed = java.util.Map.of("x", x);
            try (org.polaris.workbench.engine.job.EnginePool pool = new org.polaris.workbench.engine.job.EnginePool(1)) {
                org.polaris.workbench.engine.exec.EngineSession auto = org.polaris.workbench.engine.exec.EngineSession.load(m, pool);
                System.setProperty("polaris.sparse", "never");
                org.polaris.workbench.engine.exec.EngineSession dense = org.polaris.workbench.engine.exec.EngineSession.load(m, pool);
                System.clearProperty("polaris.sparse");
                double a = org.polaris.workbench.bench.BenchDocAccess.medianMs(() -> auto.run(feed, false), 10, 60, 0);
                double d = org.polaris.workbench.bench.BenchDocAccess.medianMs(() -> dense.run(feed, false), 10, 60, 0);
                double o;
                try (org.polaris.workbench.engine.onnx.OrtModelSession ort = org.polaris.workbench.engine.onnx.OrtModelSession.open(model,
                        org.polaris.workbench.engine.onnx.OrtModelSession.Config.singleThread(
                                org.polaris.workbench.engine.onnx.OrtModelSession.Optimization.ALL))) {
                    o = org.polaris.workbench.bench.BenchDocAccess.medianMs(() -> ort.run(feed), 10, 60, 0);
                }
                s.append(String.format(java.util.Locale.ROOT, "| Gemm 4096 x 4096, %.0f%% zeros | %.3f | %.3f | %.3f | %.2fx | %.2fx | %d of 1 |%n",
                        100 * sp, a, d, o, d / a, o / a, auto.sparseLayersUsed().size()));
            }
        }
        return s.toString();
    }

    public static void main(String[] args) throws Exception {
        StringBuilder doc = new StringBuilder("## Sparse kernels against dense\n\n");
        doc.append("Single thread; W x X with W pruned at random (CSR: magnitude, unstructured; BSR: 4x4 blocks), ")
                .append("each product checked against dense before timing; medians. Dense engine = the Vector API ")
                .append("GEMM on W^T as EngineSession runs Gemm layers; ORT = ONNX Runtime MatMul in the same run.\n\n");
        doc.append("Machine: ").append(org.polaris.workbench.bench.BenchDocAccess.machine()).append(".\n");
        doc.append("Command: `./mvnw -q test-compile exec:exec@bench-sparse` (rewrites this section); ad hoc: ")
                .append("`polaris-workbench sparse-bench --rows R --cols C --sparsity ... --batch ...`.\n\n");
        int[][] shapes = {{1000, 1280}, {1024, 1024}};
        for (int[] s : shapes) {
            SparseBench.Result r = new SparseBench(400_000_000L).run(s[0], s[1], new double[] {0.5, 0.7, 0.8, 0.9, 0.95},
                    new int[] {1, 16}, ProgressSink.NONE, CancellationToken.none());
            doc.append(SparseBenchCommand.table(r)).append('\n');
        }
        // the target shape: one 4096 x 4096 layer, batch 1 (memory-bound: 64 MiB of dense weights per product)
        SparseBench.Result big = new SparseBench(1_500_000_000L).run(4096, 4096, new double[] {0.8, 0.9, 0.95},
                new int[] {1}, ProgressSink.NONE, CancellationToken.none());
        doc.append(SparseBenchCommand.table(big)).append('\n');
        SparseBench.Row at90 = big.results().stream().filter(x -> x.sparsity() == 0.9).findFirst().orElseThrow();
        doc.append(String.format(java.util.Locale.ROOT, "Target (4096 x 4096, 90%%, batch 1): CSR %.2fx faster than our "
                + "dense GEMV (goal >= 3x), %.2fx faster than ONNX Runtime's dense MatMul (goal >= 2x).%n",
                at90.csrSpeedup(), at90.ortMs() / at90.csrMs()));
        doc.append(engineSection());
        org.polaris.workbench.bench.BenchDocAccess.replaceSection("sparse", doc.toString());
        System.out.println(doc);
    }
}
