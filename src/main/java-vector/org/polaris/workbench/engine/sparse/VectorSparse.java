package org.polaris.workbench.engine.sparse;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD CSR product for batches: one vector of batch columns per row stays in a register while the row's nonzeros
 * stream past, one load and one fused multiply-add each. Loaded only when the JVM has jdk.incubator.vector.
 */
final class VectorSparse implements SparseMatrix.BatchKernel {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int W = S.length();

    @Override
    public int csr(int rows, int[] ptr, int[] idx, float[] vals, float[] xT, int batch, float[] yT) {
        int b0 = 0;
        for (; b0 + W <= batch; b0 += W) {
            for (int r = 0; r < rows; r++) {
                FloatVector acc = FloatVector.zero(S);
                for (int p = ptr[r]; p < ptr[r + 1]; p++) {
                    acc = FloatVector.fromArray(S, xT, idx[p] * batch + b0).fma(FloatVector.broadcast(S, vals[p]), acc);
                }
                acc.intoArray(yT, r * batch + b0);
            }
        }
        return b0;
    }

    @Override
    public int csr16(int rows, int[] ptr, char[] idx, float[] vals, float[] xT, int batch, float[] yT) {
        int b0 = 0;
        for (; b0 + W <= batch; b0 += W) {
            for (int r = 0; r < rows; r++) {
                FloatVector acc = FloatVector.zero(S);
                for (int p = ptr[r]; p < ptr[r + 1]; p++) {
                    acc = FloatVector.fromArray(S, xT, idx[p] * batch + b0).fma(FloatVector.broadcast(S, vals[p]), acc);
                }
                acc.intoArray(yT, r * batch + b0);
            }
        }
        return b0;
    }
}
