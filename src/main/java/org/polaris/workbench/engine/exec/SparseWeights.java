package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.sparse.SparseMatrix;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Pruned constant weights of Gemm, MatMul and 1x1 Conv layers, held as CSR next to the dense copy, and for each
 * (weight shape, non-zeros, batch) whether the sparse product beats the dense one on this machine. That is measured
 * the first time a layer runs at a batch size (a few alternating runs of both kernels into scratch buffers, medians)
 * and cached for the process, so a shape is measured once; no fixed threshold decides. {@code -Dpolaris.sparse=
 * always|never} overrides the measurement (tests, comparisons).
 */
final class SparseWeights {

    /** Below this share of zeros a weight is not even considered (CSR needs about 80% here to pay). */
    static final double MIN_SPARSITY = 0.5;

    private static final Map<String, Boolean> DECISIONS = new ConcurrentHashMap<>();

    private final Map<String, SparseMatrix> byWeight;
    private final String mode = System.getProperty("polaris.sparse", "auto").toLowerCase(Locale.ROOT);
    private final Map<String, Boolean> used = new ConcurrentHashMap<>();

    private SparseWeights(Map<String, SparseMatrix> byWeight) {
        this.byWeight = byWeight;
    }

    static SparseWeights none() {
        return new SparseWeights(Map.of());
    }

    /** CSR copies of the prunable weights of a prepared graph (Gemm weights are [K, N] after the load-time rewrite). */
    static SparseWeights plan(OnnxModel prepared) {
        if ("never".equals(System.getProperty("polaris.sparse", "auto").toLowerCase(Locale.ROOT))) {
            return none();
        }
        Map<String, Tensor> inits = new HashMap<>();
        prepared.graph().initializers().forEach(t -> inits.put(t.name(), t));
        Map<String, SparseMatrix> out = new HashMap<>();
        for (Node n : prepared.graph().nodes()) {
            if (n.inputs().size() < 2 || !n.domain().isEmpty() && !n.domain().equals("ai.onnx")) {
                continue;
            }
            Tensor w = inits.get(n.inputs().get(1));
            if (w == null || w.dataType() != DataType.FLOAT || out.containsKey(w.name())) {
                continue;
            }
            long[] d = w.dims();
            switch (n.opType()) {
                case "Gemm" -> {
                    if (w.rank() == 2 && n.attribute("transB").map(Attribute::asLong).orElse(0L) == 0) {
                        consider(out, w, (int) d[0], (int) d[1], true);
                    }
                }
                case "MatMul" -> {
                    if (w.rank() == 2) {
                        consider(out, w, (int) d[0], (int) d[1], true);
                    }
                }
                case "Conv" -> {
                    if (w.rank() == 4 && d[2] == 1 && d[3] == 1 && n.attribute("group").map(Attribute::asLong).orElse(1L) == 1) {
                        consider(out, w, (int) d[0], (int) d[1], false);
                    }
                }
                default -> {
                }
            }
        }
        return new SparseWeights(out);
    }

    /** {@code w} is [K, N] (transposed: the matrix is W^T) or already [rows = outputs, cols = inputs]. */
    private static void consider(Map<String, SparseMatrix> out, Tensor w, int a, int b, boolean transposed) {
        float[] v = w.toFloats();
        long zeros = 0;
        for (float f : v) if (f == 0f) zeros++;
        if ((double) zeros / v.length < MIN_SPARSITY) {
            return;
        }
        out.put(w.name(), transposed ? SparseMatrix.csr(Gemm.transpose(v, a, b), b, a) : SparseMatrix.csr(v, a, b));
    }

    SparseMatrix get(String weight) {
        return byWeight.get(weight);
    }

    /** Weights held sparse, for profiles and tests. */
    int size() {
        return byWeight.size();
    }

    /** Layers (weight names) that ran on the sparse kernel at least once. */
    java.util.Set<String> usedSparse() {
        return java.util.Set.copyOf(used.keySet());
    }

    /**
     * Whether {@code m} at this batch should run sparse: measured once per shape and batch (both kernels write into
     * scratch arrays of {@code outSize} floats).
     */
    boolean useSparse(String weight, SparseMatrix m, int batch, int outSize, Consumer<float[]> dense,
                      Consumer<float[]> sparse) {
        boolean yes = switch (mode) {
            case "always" -> true;
            case "never" -> false;
            default -> DECISIONS.computeIfAbsent(m.rows() + "x" + m.cols() + ":" + m.storedValues() + "@" + batch,
                    k -> measure(outSize, dense, sparse));
        };
        if (yes) {
            used.put(weight, true);
        }
        return yes;
    }

    private static boolean measure(int outSize, Consumer<float[]> dense, Consumer<float[]> sparse) {
        float[] scratch = new float[outSize];
        for (int i = 0; i < 3; i++) {
            dense.accept(scratch);
            sparse.accept(scratch);
        }
        long[] td = new long[7];
        long[] ts = new long[7];
        for (int i = 0; i < td.length; i++) {
            long t0 = System.nanoTime();
            dense.accept(scratch);
            long t1 = System.nanoTime();
            sparse.accept(scratch);
            long t2 = System.nanoTime();
            td[i] = t1 - t0;
            ts[i] = t2 - t1;
        }
        Arrays.sort(td);
        Arrays.sort(ts);
        return ts[ts.length / 2] < td[td.length / 2];
    }
}
