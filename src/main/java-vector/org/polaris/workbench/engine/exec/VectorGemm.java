package org.polaris.workbench.engine.exec;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SIMD GEMM micro-kernel (Vector API, incubating in JDK 17-25): a 4 x 2-vector tile of C stays in registers
 * while a K block streams through, so every loaded B vector feeds four fused multiply-adds. Compiled apart from
 * the rest (the module is not visible under --release) and loaded only when the JVM has the module.
 */
final class VectorGemm implements Gemm.RowKernel {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int W = S.length();

    @Override
    public void rows(int r0, int r1, int n, int k, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
                     int j0, int j1, int kb, int kEnd) {
        int i = r0;
        for (; i + 3 < r1; i += 4) {
            int j = j0;
            for (; j + 2 * W <= j1; j += 2 * W) {
                tile4x2(i, j, n, k, a, aOff, b, bOff, c, cOff, kb, kEnd);
            }
            for (; j + W <= j1; j += W) {
                tile4x1(i, j, n, k, a, aOff, b, bOff, c, cOff, kb, kEnd);
            }
            if (j < j1) {
                Gemm.scalarRows(i, i + 4, n, k, a, aOff, b, bOff, c, cOff, j, j1, kb, kEnd);
            }
        }
        for (; i < r1; i++) {
            int j = j0;
            for (; j + W <= j1; j += W) {
                int ci = cOff + i * n + j;
                FloatVector acc = FloatVector.fromArray(S, c, ci);
                int ai = aOff + i * k;
                for (int p = kb; p < kEnd; p++) {
                    acc = FloatVector.fromArray(S, b, bOff + p * n + j).fma(FloatVector.broadcast(S, a[ai + p]), acc);
                }
                acc.intoArray(c, ci);
            }
            if (j < j1) {
                Gemm.scalarRows(i, i + 1, n, k, a, aOff, b, bOff, c, cOff, j, j1, kb, kEnd);
            }
        }
    }

    private static void tile4x2(int i, int j, int n, int k, float[] a, int aOff, float[] b, int bOff, float[] c,
                                int cOff, int kb, int kEnd) {
        int c0 = cOff + i * n + j, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
        FloatVector x00 = FloatVector.fromArray(S, c, c0), x01 = FloatVector.fromArray(S, c, c0 + W);
        FloatVector x10 = FloatVector.fromArray(S, c, c1), x11 = FloatVector.fromArray(S, c, c1 + W);
        FloatVector x20 = FloatVector.fromArray(S, c, c2), x21 = FloatVector.fromArray(S, c, c2 + W);
        FloatVector x30 = FloatVector.fromArray(S, c, c3), x31 = FloatVector.fromArray(S, c, c3 + W);
        int a0 = aOff + i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
        for (int p = kb; p < kEnd; p++) {
            int bi = bOff + p * n + j;
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + W);
            FloatVector v = FloatVector.broadcast(S, a[a0 + p]);
            x00 = b0.fma(v, x00);
            x01 = b1.fma(v, x01);
            v = FloatVector.broadcast(S, a[a1 + p]);
            x10 = b0.fma(v, x10);
            x11 = b1.fma(v, x11);
            v = FloatVector.broadcast(S, a[a2 + p]);
            x20 = b0.fma(v, x20);
            x21 = b1.fma(v, x21);
            v = FloatVector.broadcast(S, a[a3 + p]);
            x30 = b0.fma(v, x30);
            x31 = b1.fma(v, x31);
        }
        x00.intoArray(c, c0);
        x01.intoArray(c, c0 + W);
        x10.intoArray(c, c1);
        x11.intoArray(c, c1 + W);
        x20.intoArray(c, c2);
        x21.intoArray(c, c2 + W);
        x30.intoArray(c, c3);
        x31.intoArray(c, c3 + W);
    }

    private static void tile4x1(int i, int j, int n, int k, float[] a, int aOff, float[] b, int bOff, float[] c,
                                int cOff, int kb, int kEnd) {
        int c0 = cOff + i * n + j, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
        FloatVector x0 = FloatVector.fromArray(S, c, c0);
        FloatVector x1 = FloatVector.fromArray(S, c, c1);
        FloatVector x2 = FloatVector.fromArray(S, c, c2);
        FloatVector x3 = FloatVector.fromArray(S, c, c3);
        int a0 = aOff + i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
        for (int p = kb; p < kEnd; p++) {
            FloatVector bv = FloatVector.fromArray(S, b, bOff + p * n + j);
            x0 = bv.fma(FloatVector.broadcast(S, a[a0 + p]), x0);
            x1 = bv.fma(FloatVector.broadcast(S, a[a1 + p]), x1);
            x2 = bv.fma(FloatVector.broadcast(S, a[a2 + p]), x2);
            x3 = bv.fma(FloatVector.broadcast(S, a[a3 + p]), x3);
        }
        x0.intoArray(c, c0);
        x1.intoArray(c, c1);
        x2.intoArray(c, c2);
        x3.intoArray(c, c3);
    }
}
