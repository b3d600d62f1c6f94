package org.polaris.workbench.engine.sparsity;

import org.polaris.workbench.engine.exec.DenseGemm;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Dim;
import org.polaris.workbench.engine.model.Graph;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelWriter;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;
import org.polaris.workbench.engine.model.ValueType;
import org.polaris.workbench.engine.onnx.OrtModelSession;
import org.polaris.workbench.engine.sparse.SparseMatrix;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Dense against sparse for one weight shape, single thread, in one run: the engine's dense GEMM, ONNX Runtime's
 * dense MatMul, CSR on a magnitude-pruned matrix and BSR (4x4 tiles) on a block-pruned one, at each sparsity and
 * batch. Every sparse product is checked against the dense one before it is timed.
 */
public final class SparseBench {

    /** Median milliseconds of one product. */
    public record Row(double sparsity, int batch, double denseMs, double ortMs, double csrMs, double bsrMs) {
        public double csrSpeedup() {
            return denseMs / csrMs;
        }

        public double bsrSpeedup() {
            return denseMs / bsrMs;
        }
    }

    public record Result(int rows, int cols, List<Row> results) {
        /** The lowest sparsity at which CSR beats the engine's dense GEMM at this batch, or NaN. */
        public double csrCrossover(int batch) {
            return results.stream().filter(r -> r.batch() == batch && r.csrMs() < r.denseMs())
                    .mapToDouble(Row::sparsity).min().orElse(Double.NaN);
        }

        public double bsrCrossover(int batch) {
            return results.stream().filter(r -> r.batch() == batch && r.bsrMs() < r.denseMs())
                    .mapToDouble(Row::sparsity).min().orElse(Double.NaN);
        }
    }

    /** Wall time spent timing one kernel at one setting. */
    private final long budgetNanos;

    public SparseBench(long budgetNanos) {
        this.budgetNanos = budgetNanos;
    }

    public Result run(int rows, int cols, double[] sparsities, int[] batches, ProgressSink progress,
                      CancellationToken cancel) throws OrtModelSession.RuntimeFailure {
        if (rows < 1 || cols < 1 || (long) rows * cols > 64L << 20) {
            throw new IllegalArgumentException("rows x cols must be between 1 and 64 Mi weights, got " + rows + " x " + cols);
        }
        Random r = new Random(42);
        float[] dense = new float[rows * cols];
        for (int i = 0; i < dense.length; i++) dense[i] = (float) r.nextGaussian();
        List<Row> out = new ArrayList<>();
        int done = 0;
        try (EnginePool pool = new EnginePool(1)) {
            for (double s : sparsities) {
                if (!(s >= 0 && s < 1)) {
                    throw new IllegalArgumentException("sparsity must be in [0, 1), got " + s);
                }
                float[] unstructured = Pruner.prune(dense, rows, cols, PruneMethod.parse("magnitude"), s);
                float[] blocked = Pruner.prune(dense, rows, cols, PruneMethod.parse("block:4x4"), s);
                SparseMatrix csr = SparseMatrix.csr(unstructured, rows, cols);
                SparseMatrix bsr = SparseMatrix.bsr(blocked, rows, cols, 4, 4);
                for (int b : batches) {
                    cancel.throwIfCancelled();
                    progress.progress((double) done / (sparsities.length * batches.length),
                            String.format(java.util.Locale.ROOT, "sparsity %.2f, batch %d", s, b));
                    // inputs as a layer sees them, X[b, cols]; the dense engine multiplies by W^T (pre-transposed
                    // at load, as EngineSession does for Gemm layers); the sparse kernels take X^T and the timed
                    // sparse runs include that transpose
                    float[] x = new float[b * cols];
                    for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
                    float[] wT = transpose(unstructured, rows, cols);
                    float[] xT = transpose(x, b, cols);
                    float[] yDense = new float[b * rows];
                    float[] yCsr = new float[rows * b];
                    float[] yBsr = new float[rows * b];
                    float[] yBsrRef = new float[rows * b];
                    DenseGemm.multiply(pool, b, rows, cols, x, wT, yDense);
                    csr.multiply(xT, b, yCsr);
                    bsr.multiply(xT, b, yBsr);
                    SparseMatrix.reference(blocked, rows, cols, xT, b, yBsrRef);
                    check("CSR", transpose(yDense, b, rows), yCsr, cols);
                    check("BSR", yBsrRef, yBsr, cols);
                    double denseMs = time(() -> {
                        Arrays.fill(yDense, 0f);
                        DenseGemm.multiply(pool, b, rows, cols, x, wT, yDense);
                    });
                    float[] xTt = new float[cols * b];
                    double csrMs = time(() -> csr.multiply(b == 1 ? x : transposeInto(x, b, cols, xTt), b, yCsr));
                    double bsrMs = time(() -> bsr.multiply(b == 1 ? x : transposeInto(x, b, cols, xTt), b, yBsr));
                    double ortMs = ort(unstructured, rows, cols, b, r);
                    out.add(new Row(s, b, denseMs, ortMs, csrMs, bsrMs));
                    done++;
                }
            }
        }
        progress.progress(1, "done");
        return new Result(rows, cols, out);
    }

    private static float[] transpose(float[] m, int rows, int cols) {
        return transposeInto(m, rows, cols, new float[m.length]);
    }

    private static float[] transposeInto(float[] m, int rows, int cols, float[] t) {
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t[j * rows + i] = m[i * cols + j];
        return t;
    }

    private static void check(String what, float[] want, float[] got, int k) {
        for (int i = 0; i < want.length; i++) {
            if (Math.abs(want[i] - got[i]) > 1e-3 * Math.sqrt(k) * Math.max(1, Math.abs(want[i]))) {
                throw new IllegalStateException(what + " product differs from dense at " + i + ": " + got[i] + " vs " + want[i]);
            }
        }
    }

    private double time(Runnable op) {
        long end = System.nanoTime() + budgetNanos / 3;
        while (System.nanoTime() < end) op.run();
        List<Double> t = new ArrayList<>();
        end = System.nanoTime() + budgetNanos;
        while (System.nanoTime() < end || t.size() < 5) {
            long t0 = System.nanoTime();
            op.run();
            t.add((System.nanoTime() - t0) / 1e6);
        }
        t.sort(null);
        return t.get(t.size() / 2);
    }

    /** ONNX Runtime's dense MatMul Y[b, rows] = X[b, cols] * W^T, one thread. */
    private double ort(float[] w, int rows, int cols, int batch, Random r) throws OrtModelSession.RuntimeFailure {
        float[] wT = new float[cols * rows];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) wT[j * rows + i] = w[i * cols + j];
        Graph g = new Graph("mm", List.of(new Node("mm", "MatMul", "", List.of("x", "w"), List.of("y"), List.of(), "")),
                List.of(new ValueInfo("x", ValueType.tensor(DataType.FLOAT, List.of(Dim.of(batch), Dim.of(cols))), "")),
                List.of(new ValueInfo("y", ValueType.tensor(DataType.FLOAT, List.of(Dim.of(batch), Dim.of(rows))), "")),
                List.of(), List.of(Tensor.ofFloats("w", new long[] {cols, rows}, wT)), "", null);
        OnnxModel model = new OnnxModel(7, Map.of("", 13L), "sparse-bench", "", "", 0, "", Map.of(), g, null, null, 0);
        float[] x = new float[batch * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        Map<String, Tensor> feed = Map.of("x", Tensor.ofFloats("x", new long[] {batch, cols}, x));
        try (OrtModelSession s = OrtModelSession.open(OnnxModelWriter.toBytes(model),
                OrtModelSession.Config.singleThread(OrtModelSession.Optimization.ALL))) {
            return time(() -> {
                try {
                    s.run(feed);
                } catch (OrtModelSession.RuntimeFailure e) {
                    throw new IllegalStateException("ONNX Runtime MatMul failed: " + e.getMessage(), e);
                }
            });
        }
    }
}
