package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.job.EnginePool;

/**
 * Single-precision matrix multiply {@code C[M,N] (+)= A[M,K] * B[K,N]} on row-major arrays. The inner loop runs
 * along a row of B and C so the JIT vectorizes it; rows of C (or, for one-row products, column blocks) are spread
 * over the engine pool. {@link #reference} is the plain triple loop the fast path is tested against.
 */
final class Gemm {

    private static final int KB = 256;
    private static final int NB = 256;

    private Gemm() {
    }

    /**
     * Multiply-adds a layer needs per thread before it is split over the pool. Below this, two threads ran a layer no
     * faster than one, or slower, on the 2-core test machine (a virtual machine: its two CPUs scale a large GEMM 1.8x
     * but not a layer of tens of microseconds): per layer at batch 1 on 1 and 2 threads, 3 -> 16 channels on 40x56
     * (1.0M multiply-adds) 30 -> 40 us, 16 -> 16 stride 2 (1.3M) 49 -> 79 us, 32 -> 32 on 28x28 (7.2M) 87 -> 88 us,
     * 64 -> 64 on 28x28 (29M) 342 -> 264 us.
     */
    static final long SPLIT_MIN_MACS_PER_THREAD = 1L << 20;

    /** Whether work of {@code macs} multiply-adds is split over {@code pool}'s threads. */
    static boolean splits(EnginePool pool, long macs) {
        return pool.threads() > 1 && macs >= SPLIT_MIN_MACS_PER_THREAD * pool.threads();
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

    /**
     * Accumulates into C, so callers initialize it (zeros, or a broadcast bias). C is cut into column panels of
     * {@link #NB} so a K-block of B (KB x NB floats) stays in cache while every row tile passes over it; the pool
     * splits panels when there are several, else row tiles.
     */
    static void multiply(EnginePool pool, int m, int n, int k, float[] a, int aOff, float[] b, int bOff, float[] c,
                         int cOff) {
        multiply(pool, m, n, k, a, aOff, b, bOff, c, cOff, null);
    }

    /**
     * As above; with an {@link Epilogue}, C is written rather than accumulated: each block starts from the epilogue's
     * row bias and gets its activation right after its last K block, while it is still in cache (a convolution's
     * output was otherwise filled with the bias, multiplied onto and activated in three passes over memory: an
     * EfficientNet expansion layer's 38 MB output at batch 8 cost more in those passes than in its multiply-adds).
     */
    static void multiply(EnginePool pool, int m, int n, int k, float[] a, int aOff, float[] b, int bOff, float[] c,
                         int cOff, Epilogue epilogue) {
        long work = (long) m * n * k;
        int panels = (n + NB - 1) / NB;
        int tiles = (m + 7) / 8;
        boolean small = !splits(pool, work);
        if (panels >= pool.threads() || tiles < 2 * pool.threads()) {
            pool.parallelFor(panels, small ? panels : 1, p -> {
                int j0 = p * NB;
                int j1 = Math.min(n, j0 + NB);
                if (epilogue != null) epilogue.start(c, cOff, n, 0, m, j0, j1);
                rows(0, m, n, k, a, aOff, b, bOff, c, cOff, j0, j1);
                if (epilogue != null) epilogue.finish(c, cOff, n, 0, m, j0, j1);
            });
        } else {
            // one contiguous range of row tiles per thread, so each K-block of B is read once per range while all
            // its tiles pass over it (a task per tile re-read all of B per tile: 58 MB for a 512 x 49 x 4608 layer)
            int parts = small ? 1 : Math.min(pool.threads(), tiles);
            int per = (tiles + parts - 1) / parts;
            pool.parallelFor(parts, 1, q -> {
                int r0 = 8 * q * per;
                int r1 = Math.min(m, 8 * (q + 1) * per);
                if (r0 < r1) {
                    // fewer than NB * threads columns here: the range's block of C stays in cache across its K blocks
                    if (epilogue != null) epilogue.start(c, cOff, n, r0, r1, 0, n);
                    rows(r0, r1, n, k, a, aOff, b, bOff, c, cOff, 0, n);
                    if (epilogue != null) epilogue.finish(c, cOff, n, r0, r1, 0, n);
                }
            });
        }
    }

    /**
     * C[m, 0..cols) = sum over t of A_t [m, k] times the k rows of B that start at {@code bOffs[t]}, B's and C's rows
     * both {@code n} apart, started and finished by {@code epilogue}: a stride-1 convolution over a zero-padded image,
     * tap t's rows being the image's channels shifted by the tap's offset (A_t at {@code t * m * k} in {@code a}). No
     * patch matrix is made. Column panels (and, when there are fewer than threads, their rows) are split over the
     * pool, and every tap runs on a panel while it is in cache; each finished block goes to {@code sink} on the thread
     * that computed it, while it is still in that thread's cache.
     */
    static void multiplyShifted(EnginePool pool, int m, int n, int cols, int k, float[] a, int[] bOffs, float[] b,
                                float[] c, Epilogue epilogue, BlockSink sink) {
        int panels = (cols + NB - 1) / NB;
        // fewer panels than threads (14x14 and 7x7 maps are one panel): each panel's rows are split too, in whole
        // 8-row tiles
        int tiles = (m + 7) / 8;
        int rowParts = panels >= pool.threads() ? 1 : Math.min(tiles, (2 * pool.threads() + panels - 1) / panels);
        int per = (tiles + rowParts - 1) / rowParts;
        long work = (long) m * cols * k * bOffs.length;
        pool.parallelFor(panels * rowParts, splits(pool, work) ? 1 : panels * rowParts, task -> {
            int p = task / rowParts, q = task % rowParts;
            int j0 = p * NB;
            int j1 = Math.min(cols, j0 + NB);
            int r0 = 8 * q * per, r1 = Math.min(m, 8 * (q + 1) * per);
            if (r0 >= r1) {
                return;
            }
            epilogue.start(c, 0, n, r0, r1, j0, j1);
            for (int kb = 0; kb < k; kb += KB) {
                KERNEL.rowsTaps(r0, r1, n, k, m, a, bOffs, b, c, j0, j1, kb, Math.min(k, kb + KB));
            }
            epilogue.finish(c, 0, n, r0, r1, j0, j1);
            sink.finished(r0, r1, j0, j1);
        });
    }

    /** Receives each finished block C[r0..r1, j0..j1) of a product. */
    @FunctionalInterface
    interface BlockSink {
        void finished(int r0, int r1, int j0, int j1);
    }

    /**
     * What a product does to each finished block of C: start row i from {@code bias[biasOff + i]} (zero without a
     * bias), and apply {@code act} (none when null) once the block's sum is complete.
     */
    record Epilogue(float[] bias, int biasOff, LoadTimeRewrites.Activation act) {

        void start(float[] c, int cOff, int n, int r0, int r1, int j0, int j1) {
            for (int i = r0; i < r1; i++) {
                int at = cOff + i * n;
                java.util.Arrays.fill(c, at + j0, at + j1, bias == null ? 0f : bias[biasOff + i]);
            }
        }

        void finish(float[] c, int cOff, int n, int r0, int r1, int j0, int j1) {
            if (act != null) {
                for (int i = r0; i < r1; i++) {
                    int at = cOff + i * n;
                    LoadTimeRewrites.activate(act, c, at + j0, at + j1);
                }
            }
        }
    }

    /**
     * B [k, n] laid out as column panels of {@link #tileColumns()} columns, each panel's k rows contiguous
     * ([panel][k][width], the last panel zero-padded): made once per session for a constant weight, so a product
     * with few rows of A streams B in order instead of one row of B per cache page (a Linear layer's 1000-float
     * rows are 4000 bytes apart: every step of K touched a new page and the same cache sets).
     */
    static float[] packPanels(float[] b, int k, int n) {
        int w = tileColumns();
        int panels = (n + w - 1) / w;
        float[] p = new float[panels * k * w];
        for (int q = 0; q < panels; q++) {
            int j0 = q * w;
            int len = Math.min(w, n - j0);
            for (int r = 0; r < k; r++) {
                System.arraycopy(b, r * n + j0, p, (q * k + r) * w, len);
            }
        }
        return p;
    }

    /**
     * C[m, n] += A[m, k] * B with B from {@link #packPanels}: per panel, that panel's columns of C are gathered into a
     * small [m][width] block, the kernel runs on it with the panel as a contiguous B, and the block goes back.
     * Panels are split over the pool.
     */
    static void multiplyPacked(EnginePool pool, int m, int n, int k, float[] a, float[] packed, float[] c) {
        int w = tileColumns();
        int panels = (n + w - 1) / w;
        pool.parallelFor(panels, (long) m * w * k * panels < 1 << 16 ? panels : 1, q -> {
            int j0 = q * w;
            int len = Math.min(w, n - j0);
            float[] block = new float[m * w];
            for (int i = 0; i < m; i++) System.arraycopy(c, i * n + j0, block, i * w, len);
            for (int kb = 0; kb < k; kb += KB) {
                KERNEL.rows(0, m, w, k, a, 0, packed, q * k * w, block, 0, 0, w, kb, Math.min(k, kb + KB));
            }
            for (int i = 0; i < m; i++) System.arraycopy(block, i * w, c, i * n + j0, len);
        });
    }

    /** A kernel for C[r0..r1, j0..j1) += A[r0..r1, kb..kEnd) * B[kb..kEnd, j0..j1). */
    interface RowKernel {
        void rows(int r0, int r1, int n, int k, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
                  int j0, int j1, int kb, int kEnd);

        /**
         * C[r0..r1, j0..j1) += sum over taps t of A_t[r0..r1, kb..kEnd) * B_t, A_t at {@code t * m * k} in {@code a}
         * (rows k apart), B_t's rows at {@code bOffs[t] + p * n}, C's rows n apart from 0: one product per tap here.
         */
        default void rowsTaps(int r0, int r1, int n, int k, int m, float[] a, int[] bOffs, float[] b, float[] c,
                              int j0, int j1, int kb, int kEnd) {
            for (int t = 0; t < bOffs.length; t++) {
                rows(r0, r1, n, k, a, t * m * k, b, bOffs[t], c, 0, j0, j1, kb, kEnd);
            }
        }

        /** Columns of C its widest tile covers (1: no tiles, the scalar loops). */
        default int tileColumns() {
            return 1;
        }
    }

    /** The SIMD kernel when the JVM has jdk.incubator.vector, else the scalar one; chosen once. */
    static final RowKernel KERNEL = select();

    private static RowKernel select() {
        if (Boolean.getBoolean("polaris.scalar") || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return Gemm::scalarRows;
        }
        try {
            return (RowKernel) Class.forName("org.polaris.workbench.engine.exec.VectorGemm").getDeclaredConstructor()
                    .newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            return Gemm::scalarRows;
        }
    }

    /** Columns of C the kernel's widest tile covers (two vectors), or 1 for the scalar kernel (no tiles). */
    static int tileColumns() {
        return KERNEL.tileColumns();
    }

    static String kernelName() {
        return KERNEL.getClass().getSimpleName().startsWith("VectorGemm") ? "vector" : "scalar";
    }

    private static void rows(int r0, int r1, int n, int k, float[] a, int aOff, float[] b, int bOff, float[] c,
                             int cOff, int j0, int j1) {
        for (int kb = 0; kb < k; kb += KB) {
            KERNEL.rows(r0, r1, n, k, a, aOff, b, bOff, c, cOff, j0, j1, kb, Math.min(k, kb + KB));
        }
    }

    /**
     * Scalar kernel: four rows of C are updated per pass over a row of B, so each loaded B element feeds four
     * multiply-adds. Plain array loops the JIT vectorizes where it can.
     */
    static void scalarRows(int r0, int r1, int n, int k, float[] a, int aOff, float[] b, int bOff, float[] c,
                           int cOff, int j0, int j1, int kb, int kEnd) {
        int i = r0;
        for (; i + 3 < r1; i += 4) {
            int c0 = cOff + i * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
            int a0 = aOff + i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
            for (int p = kb; p < kEnd; p++) {
                float v0 = a[a0 + p], v1 = a[a1 + p], v2 = a[a2 + p], v3 = a[a3 + p];
                int bi = bOff + p * n;
                for (int j = j0; j < j1; j++) {
                    float bv = b[bi + j];
                    c[c0 + j] += v0 * bv;
                    c[c1 + j] += v1 * bv;
                    c[c2 + j] += v2 * bv;
                    c[c3 + j] += v3 * bv;
                }
            }
        }
        for (; i < r1; i++) {
            int ci = cOff + i * n;
            int ai = aOff + i * k;
            for (int p = kb; p < kEnd; p++) {
                float av = a[ai + p];
                int bi = bOff + p * n;
                for (int j = j0; j < j1; j++) {
                    c[ci + j] += av * b[bi + j];
                }
            }
        }
    }

    /** Row-major transpose of a [rows, cols] matrix. */
    static float[] transpose(float[] m, int rows, int cols) {
        return transpose(m, 0, rows, cols);
    }

    /** Row-major transpose of the [rows, cols] matrix at {@code off} in {@code m}. */
    static float[] transpose(float[] m, int off, int rows, int cols) {
        float[] t = new float[rows * cols];
        transposeInto(m, off, rows, cols, t);
        return t;
    }

    /** dst[j][i] = src[off + i * cols + j] for a [rows][cols] source, in 16 x 16 blocks so both sides stay in cache. */
    static void transposeInto(float[] src, int off, int rows, int cols, float[] dst) {
        for (int i0 = 0; i0 < rows; i0 += 16) {
            int i1 = Math.min(rows, i0 + 16);
            for (int j0 = 0; j0 < cols; j0 += 16) {
                int j1 = Math.min(cols, j0 + 16);
                for (int i = i0; i < i1; i++) {
                    int from = off + i * cols;
                    for (int j = j0; j < j1; j++) {
                        dst[j * rows + i] = src[from + j];
                    }
                }
            }
        }
    }
}
