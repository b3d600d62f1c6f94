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
    public int csr(int r0, int r1, int[] ptr, int[] idx, float[] vals, float[] xT, int batch, float[] yT) {
        int b0 = 0;
        for (; b0 + W <= batch; b0 += W) {
            for (int r = r0; r < r1; r++) {
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
    public int csr16(int r0, int r1, int[] ptr, char[] idx, float[] vals, float[] xT, int batch, float[] yT) {
        int b0 = 0;
        for (; b0 + W <= batch; b0 += W) {
            for (int r = r0; r < r1; r++) {
                FloatVector acc = FloatVector.zero(S);
                for (int p = ptr[r]; p < ptr[r + 1]; p++) {
                    acc = FloatVector.fromArray(S, xT, idx[p] * batch + b0).fma(FloatVector.broadcast(S, vals[p]), acc);
                }
                acc.intoArray(yT, r * batch + b0);
            }
        }
        return b0;
    }

    /**
     * BSR, 4-row tiles: each output row's vector of batch columns stays in a register while the tiles of its block
     * row stream past, 4-wide tiles unrolled. JDK 17's C2 does not keep vectors in registers through an inner loop
     * over the tile width here: that form (and a four-accumulator one) ran five to eight times slower.
     */
    @Override
    public int bsr4(int t0, int t1, int bc, int[] ptr, char[] col16, int[] col32, float[] vals, float[] xT, int batch,
                    float[] yT) {
        int b0 = 0;
        int tile = 4 * bc;
        for (; b0 + W <= batch; b0 += W) {
            for (int t = t0; t < t1; t++) {
                for (int i = 0; i < 4; i++) {
                    FloatVector acc = FloatVector.zero(S);
                    for (int k = ptr[t]; k < ptr[t + 1]; k++) {
                        int x = (col16 != null ? col16[k] : col32[k]) * batch + b0;
                        int v = k * tile + i * bc;
                        if (bc == 4) {
                            acc = FloatVector.fromArray(S, xT, x).fma(FloatVector.broadcast(S, vals[v]), acc);
                            acc = FloatVector.fromArray(S, xT, x + batch).fma(FloatVector.broadcast(S, vals[v + 1]), acc);
                            acc = FloatVector.fromArray(S, xT, x + 2 * batch).fma(FloatVector.broadcast(S, vals[v + 2]), acc);
                            acc = FloatVector.fromArray(S, xT, x + 3 * batch).fma(FloatVector.broadcast(S, vals[v + 3]), acc);
                            continue;
                        }
                        for (int j = 0; j < bc; j++) {
                            acc = FloatVector.fromArray(S, xT, x + j * batch).fma(FloatVector.broadcast(S, vals[v + j]), acc);
                        }
                    }
                    acc.intoArray(yT, (4 * t + i) * batch + b0);
                }
            }
        }
        return b0;
    }
}
