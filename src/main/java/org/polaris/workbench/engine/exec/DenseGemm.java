package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.job.EnginePool;

/** The engine's dense GEMM for other engine packages (sparse benchmarks compare against it). */
public final class DenseGemm {

    private DenseGemm() {
    }

    /** {@code C[m, n] += A[m, k] * B[k, n]}, row-major. */
    public static void multiply(EnginePool pool, int m, int n, int k, float[] a, float[] b, float[] c) {
        Gemm.multiply(pool, m, n, k, a, 0, b, 0, c, 0);
    }
}
