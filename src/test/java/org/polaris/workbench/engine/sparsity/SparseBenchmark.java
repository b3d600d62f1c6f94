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
        org.polaris.workbench.bench.BenchDocAccess.replaceSection("sparse", doc.toString());
        System.out.println(doc);
    }
}
