package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.job.EnginePool;

/**
 * Single-precision matrix multiply {@code C[M,N] (+)= A[M,K] * B[K,N]} on row-major arrays. The inner loop runs
 * along a row of B and C so the JIT vectorizes it; rows of C (or, for one-row products, column blocks) are spread
 * over the engine pool. {@link #reference} is the plain triple loop the fast path is tested against.
 */
final class Gemm {

    private static final int KB = 256;
    private static final int NB = 512;

    private Gemm() {
    }

    static void reference(int m, int n, int k, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += a[aOff + i * k + p] * b[bOff + p * n + j];
                }
                c[cOff + i * n + j] += (float) s;
            }
        }
    }

    /** Accumulates into C, so callers initialize it (zeros, or a broadcast bias). */
    static void multiply(EnginePool pool, int m, int n, int k, float[] a, int aOff, float[] b, int bOff, float[] c,
                         int cOff) {
        long work = (long) m * n * k;
        if (m >= pool.threads() && m > 1) {
            pool.parallelFor(m, work > 1 << 16 ? 1 : m, row -> rows(row, row + 1, n, k, a, aOff, b, bOff, c, cOff, 0, n));
        } else {
            int blocks = (n + NB - 1) / NB;
            pool.parallelFor(blocks, work > 1 << 16 ? 1 : blocks, blk -> {
                int j0 = blk * NB;
                rows(0, m, n, k, a, aOff, b, bOff, c, cOff, j0, Math.min(n, j0 + NB));
            });
        }
    }

    private static void rows(int r0, int r1, int n, int k, float[] a, int aOff, float[] b, int bOff, float[] c,
                             int cOff, int j0, int j1) {
        for (int kb = 0; kb < k; kb += KB) {
            int kEnd = Math.min(k, kb + KB);
            for (int i = r0; i < r1; i++) {
                int ci = cOff + i * n;
                int ai = aOff + i * k;
                for (int p = kb; p < kEnd; p++) {
                    float av = a[ai + p];
                    if (av == 0) {
                        continue;
                    }
                    int bi = bOff + p * n;
                    for (int j = j0; j < j1; j++) {
                        c[ci + j] += av * b[bi + j];
                    }
                }
            }
        }
    }

    /** Row-major transpose of a [rows, cols] matrix. */
    static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[m.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = m[r * cols + c];
            }
        }
        return t;
    }
}
