package org.polaris.workbench.engine.sparse;

import java.util.Arrays;
import java.util.Locale;

/**
 * A pruned weight matrix W [rows = outputs, cols = inputs] in a sparse format, and its product with a batch of
 * inputs held input-major, {@code Y^T[rows, batch] = W * X^T[cols, batch]} (so the inner loops run along the
 * batch, contiguous).
 *
 * <ul>
 *   <li>{@link Format#CSR}: row offsets, column of each value (the fast SpMV/SpMM path, SIMD over the batch)</li>
 *   <li>{@link Format#CSC}: column offsets, row of each value</li>
 *   <li>{@link Format#COO}: (row, column, value) triplets in row-major order</li>
 *   <li>{@link Format#BSR}: r x c tiles holding at least one non-zero, zeros inside kept tiles stored</li>
 * </ul>
 * Every format is lossless ({@link #toDense}) and converts to every other ({@link #to}). Index arrays are 16-bit
 * (unsigned) when the dimension they index allows, else 32-bit, and {@link #bytes} counts exactly what is held.
 * {@link #reference} is the dense triple loop all products are tested against.
 */
public final class SparseMatrix {

    public enum Format { CSR, CSC, COO, BSR }

    /** SIMD batch kernel: handles batch columns [0, returned) of every row; the scalar fallback handles none. */
    interface BatchKernel {
        int csr(int r0, int r1, int[] ptr, int[] idx, float[] vals, float[] xT, int batch, float[] yT);

        int csr16(int r0, int r1, int[] ptr, char[] idx, float[] vals, float[] xT, int batch, float[] yT);

        /** BSR with 4-row tiles of {@code bc} columns, tile rows [t0, t1); the caller guarantees no edge tiles. */
        int bsr4(int t0, int t1, int bc, int[] ptr, char[] col16, int[] col32, float[] vals, float[] xT, int batch,
                 float[] yT);
    }

    private static final BatchKernel KERNEL = select();

    private static BatchKernel select() {
        BatchKernel none = new BatchKernel() {
            @Override
            public int csr(int r0, int r1, int[] ptr, int[] idx, float[] vals, float[] xT, int batch, float[] yT) {
                return 0;
            }

            @Override
            public int csr16(int r0, int r1, int[] ptr, char[] idx, float[] vals, float[] xT, int batch, float[] yT) {
                return 0;
            }

            @Override
            public int bsr4(int t0, int t1, int bc, int[] ptr, char[] col16, int[] col32, float[] vals, float[] xT,
                            int batch, float[] yT) {
                return 0;
            }
        };
        if (Boolean.getBoolean("polaris.scalar") || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return none;
        }
        try {
            return (BatchKernel) Class.forName("org.polaris.workbench.engine.sparse.VectorSparse")
                    .getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            return none;
        }
    }

    /** An index array: 16-bit when every index fits in an unsigned short, else 32-bit. */
    private record Index(int[] wide, char[] narrow) {
        static Index of(int[] values, int bound) {
            if (bound <= 1 << 16) {
                char[] n = new char[values.length];
                for (int i = 0; i < n.length; i++) n[i] = (char) values[i];
                return new Index(null, n);
            }
            return new Index(values, null);
        }

        int get(int i) {
            return narrow != null ? narrow[i] : wide[i];
        }

        int length() {
            return narrow != null ? narrow.length : wide.length;
        }

        long bytes() {
            return narrow != null ? 2L * narrow.length : 4L * wide.length;
        }
    }

    private final Format format;
    private final int rows;
    private final int cols;
    private final int br;
    private final int bc;
    /** CSR: rows + 1 offsets; CSC: cols + 1 offsets; BSR: block rows + 1 offsets; COO: null */
    private final int[] ptr;
    /** CSR: column of each value; CSC: row of each value; BSR: first column of each tile; COO: column */
    private final Index minor;
    /** COO: row of each value; else null */
    private final Index major;
    /** values; BSR: tiles of br * bc values, row-major */
    private final float[] vals;

    private SparseMatrix(Format format, int rows, int cols, int br, int bc, int[] ptr, Index minor, Index major,
                         float[] vals) {
        this.format = format;
        this.rows = rows;
        this.cols = cols;
        this.br = br;
        this.bc = bc;
        this.ptr = ptr;
        this.minor = minor;
        this.major = major;
        this.vals = vals;
    }

    private static void check(float[] w, int rows, int cols) {
        if (rows < 1 || cols < 1 || (long) rows * cols != w.length) {
            throw new IllegalArgumentException(rows + " x " + cols + " does not match " + w.length + " weights");
        }
    }

    public static SparseMatrix csr(float[] w, int rows, int cols) {
        check(w, rows, cols);
        int nnz = 0;
        for (float v : w) if (v != 0f) nnz++;
        int[] ptr = new int[rows + 1];
        int[] idx = new int[nnz];
        float[] vals = new float[nnz];
        int at = 0;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                float v = w[r * cols + c];
                if (v != 0f) {
                    idx[at] = c;
                    vals[at++] = v;
                }
            }
            ptr[r + 1] = at;
        }
        return new SparseMatrix(Format.CSR, rows, cols, 1, 1, ptr, Index.of(idx, cols), null, vals);
    }

    public static SparseMatrix csc(float[] w, int rows, int cols) {
        check(w, rows, cols);
        int nnz = 0;
        for (float v : w) if (v != 0f) nnz++;
        int[] ptr = new int[cols + 1];
        int[] idx = new int[nnz];
        float[] vals = new float[nnz];
        int at = 0;
        for (int c = 0; c < cols; c++) {
            for (int r = 0; r < rows; r++) {
                float v = w[r * cols + c];
                if (v != 0f) {
                    idx[at] = r;
                    vals[at++] = v;
                }
            }
            ptr[c + 1] = at;
        }
        return new SparseMatrix(Format.CSC, rows, cols, 1, 1, ptr, Index.of(idx, rows), null, vals);
    }

    public static SparseMatrix coo(float[] w, int rows, int cols) {
        check(w, rows, cols);
        int nnz = 0;
        for (float v : w) if (v != 0f) nnz++;
        int[] ri = new int[nnz];
        int[] ci = new int[nnz];
        float[] vals = new float[nnz];
        int at = 0;
        for (int i = 0; i < w.length; i++) {
            if (w[i] != 0f) {
                ri[at] = i / cols;
                ci[at] = i % cols;
                vals[at++] = w[i];
            }
        }
        return new SparseMatrix(Format.COO, rows, cols, 1, 1, null, Index.of(ci, cols), Index.of(ri, rows), vals);
    }

    /** Tiles of br x bc holding at least one nonzero; edge tiles are padded with zeros. */
    public static SparseMatrix bsr(float[] w, int rows, int cols, int br, int bc) {
        check(w, rows, cols);
        if (br < 1 || bc < 1 || br > 256 || bc > 256) {
            throw new IllegalArgumentException("BSR tiles must be 1..256 on each side, got " + br + " x " + bc);
        }
        int tr = (rows + br - 1) / br, tc = (cols + bc - 1) / bc;
        int[] ptr = new int[tr + 1];
        int kept = 0;
        boolean[] any = new boolean[tr * tc];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                if (w[r * cols + c] != 0f) any[(r / br) * tc + c / bc] = true;
            }
        }
        for (boolean a : any) if (a) kept++;
        int[] col0 = new int[kept];
        float[] vals = new float[kept * br * bc];
        int k = 0;
        for (int t = 0; t < tr; t++) {
            for (int u = 0; u < tc; u++) {
                if (!any[t * tc + u]) continue;
                col0[k] = u * bc;
                for (int i = 0; i < br; i++) {
                    int r = t * br + i;
                    for (int j = 0; j < bc && r < rows; j++) {
                        int c = u * bc + j;
                        if (c < cols) vals[k * br * bc + i * bc + j] = w[r * cols + c];
                    }
                }
                k++;
            }
            ptr[t + 1] = k;
        }
        return new SparseMatrix(Format.BSR, rows, cols, br, bc, ptr, Index.of(col0, cols), null, vals);
    }

    /** The dense matrix this one stands for, row-major. */
    public float[] toDense() {
        float[] w = new float[rows * cols];
        switch (format) {
            case CSR -> {
                for (int r = 0; r < rows; r++) for (int p = ptr[r]; p < ptr[r + 1]; p++) w[r * cols + minor.get(p)] = vals[p];
            }
            case CSC -> {
                for (int c = 0; c < cols; c++) for (int p = ptr[c]; p < ptr[c + 1]; p++) w[minor.get(p) * cols + c] = vals[p];
            }
            case COO -> {
                for (int p = 0; p < vals.length; p++) w[major.get(p) * cols + minor.get(p)] = vals[p];
            }
            case BSR -> {
                for (int t = 0; t + 1 < ptr.length; t++) {
                    for (int k = ptr[t]; k < ptr[t + 1]; k++) {
                        int c0 = minor.get(k);
                        for (int i = 0; i < br && t * br + i < rows; i++) {
                            for (int j = 0; j < bc && c0 + j < cols; j++) {
                                w[(t * br + i) * cols + c0 + j] = vals[k * br * bc + i * bc + j];
                            }
                        }
                    }
                }
            }
            default -> throw new IllegalStateException(format.toString());
        }
        return w;
    }

    /** This matrix in another format (BSR with {@code br} x {@code bc} tiles; ignored otherwise). */
    public SparseMatrix to(Format target, int tileRows, int tileCols) {
        float[] w = toDense();
        return switch (target) {
            case CSR -> csr(w, rows, cols);
            case CSC -> csc(w, rows, cols);
            case COO -> coo(w, rows, cols);
            case BSR -> bsr(w, rows, cols, tileRows, tileCols);
        };
    }

    public Format format() {
        return format;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** Stored values (for BSR including the zeros inside kept tiles). */
    public long storedValues() {
        return vals.length;
    }

    /** Bytes held: values, index arrays at their actual width (16 or 32 bits) and offsets. */
    public long bytes() {
        return 4L * vals.length + minor.bytes() + (major == null ? 0 : major.bytes()) + (ptr == null ? 0 : 4L * ptr.length);
    }

    /** Bits per stored index, 16 or 32. */
    public int indexBits() {
        return minor.narrow() != null ? 16 : 32;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s %dx%d%s, %d values, %d-bit indices, %d bytes", format, rows, cols,
                format == Format.BSR ? " (" + br + "x" + bc + " tiles)" : "", vals.length, indexBits(), bytes());
    }

    /** Y^T[rows, batch] = W * X^T[cols, batch]; y is overwritten. Single thread. */
    public void multiply(float[] xT, int batch, float[] yT) {
        multiply(null, xT, batch, yT);
    }

    /**
     * As {@link #multiply(float[], int, float[])}, CSR and BSR split by rows over {@code pool} (null: the calling
     * thread only); each row is written by one thread, so results do not depend on the thread count.
     */
    public void multiply(org.polaris.workbench.engine.job.EnginePool pool, float[] xT, int batch, float[] yT) {
        Arrays.fill(yT, 0, rows * batch, 0f);
        if (pool != null && pool.threads() > 1 && (format == Format.CSR || format == Format.BSR)) {
            int units = format == Format.CSR ? rows : ptr.length - 1;
            int per = format == Format.CSR ? 64 : 16;
            int chunks = (units + per - 1) / per;
            // enough work per chunk that handing it to another thread pays (about 20k multiply-adds)
            int minChunks = (int) Math.max(1, 20_000L * chunks / Math.max(1, (long) vals.length * batch));
            pool.parallelFor(chunks, minChunks, c -> {
                int from = c * per;
                int to = Math.min(units, from + per);
                if (format == Format.CSR) csrProduct(from, to, xT, batch, yT);
                else bsrProduct(from, to, xT, batch, yT);
            });
            return;
        }
        switch (format) {
            case CSR -> csrProduct(0, rows, xT, batch, yT);
            case CSC -> {
                for (int c = 0; c < cols; c++) {
                    int x = c * batch;
                    for (int p = ptr[c]; p < ptr[c + 1]; p++) {
                        float v = vals[p];
                        int y = minor.get(p) * batch;
                        for (int b = 0; b < batch; b++) yT[y + b] += v * xT[x + b];
                    }
                }
            }
            case COO -> {
                for (int p = 0; p < vals.length; p++) {
                    float v = vals[p];
                    int y = major.get(p) * batch;
                    int x = minor.get(p) * batch;
                    for (int b = 0; b < batch; b++) yT[y + b] += v * xT[x + b];
                }
            }
            case BSR -> bsrProduct(0, ptr.length - 1, xT, batch, yT);
            default -> throw new IllegalStateException(format.toString());
        }
    }

    private void csrProduct(int r0, int r1, float[] xT, int batch, float[] yT) {
        char[] n = minor.narrow();
        int[] w = minor.wide();
        if (batch == 1) {
            if (n != null) {
                for (int r = r0; r < r1; r++) {
                    // four independent sums: one chain of dependent adds would wait on each add's latency
                    float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
                    int p = ptr[r];
                    int end = ptr[r + 1];
                    for (; p + 3 < end; p += 4) {
                        a0 += vals[p] * xT[n[p]];
                        a1 += vals[p + 1] * xT[n[p + 1]];
                        a2 += vals[p + 2] * xT[n[p + 2]];
                        a3 += vals[p + 3] * xT[n[p + 3]];
                    }
                    for (; p < end; p++) a0 += vals[p] * xT[n[p]];
                    yT[r] = (a0 + a1) + (a2 + a3);
                }
            } else {
                for (int r = r0; r < r1; r++) {
                    float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
                    int p = ptr[r];
                    int end = ptr[r + 1];
                    for (; p + 3 < end; p += 4) {
                        a0 += vals[p] * xT[w[p]];
                        a1 += vals[p + 1] * xT[w[p + 1]];
                        a2 += vals[p + 2] * xT[w[p + 2]];
                        a3 += vals[p + 3] * xT[w[p + 3]];
                    }
                    for (; p < end; p++) a0 += vals[p] * xT[w[p]];
                    yT[r] = (a0 + a1) + (a2 + a3);
                }
            }
            return;
        }
        int from = n != null ? KERNEL.csr16(r0, r1, ptr, n, vals, xT, batch, yT) : KERNEL.csr(r0, r1, ptr, w, vals, xT, batch, yT);
        for (int r = r0; r < r1 && from < batch; r++) {
            int y = r * batch;
            for (int p = ptr[r]; p < ptr[r + 1]; p++) {
                float v = vals[p];
                int x = minor.get(p) * batch;
                for (int b = from; b < batch; b++) yT[y + b] += v * xT[x + b];
            }
        }
    }

    private void bsrProduct(int t0, int t1, float[] xT, int batch, float[] yT) {
        if (br == 4 && bc == 4 && batch == 1 && rows % 4 == 0 && cols % 4 == 0) {
            // the common tile, unrolled: sixteen multiply-adds per tile without branches
            for (int t = t0; t < t1; t++) {
                float y0 = 0, y1 = 0, y2 = 0, y3 = 0;
                for (int k = ptr[t]; k < ptr[t + 1]; k++) {
                    int c = minor.get(k), v = k * 16;
                    float x0 = xT[c], x1 = xT[c + 1], x2 = xT[c + 2], x3 = xT[c + 3];
                    y0 += vals[v] * x0 + vals[v + 1] * x1 + vals[v + 2] * x2 + vals[v + 3] * x3;
                    y1 += vals[v + 4] * x0 + vals[v + 5] * x1 + vals[v + 6] * x2 + vals[v + 7] * x3;
                    y2 += vals[v + 8] * x0 + vals[v + 9] * x1 + vals[v + 10] * x2 + vals[v + 11] * x3;
                    y3 += vals[v + 12] * x0 + vals[v + 13] * x1 + vals[v + 14] * x2 + vals[v + 15] * x3;
                }
                yT[4 * t] = y0;
                yT[4 * t + 1] = y1;
                yT[4 * t + 2] = y2;
                yT[4 * t + 3] = y3;
            }
            return;
        }
        int from = 0;
        if (br == 4 && batch > 1 && rows % 4 == 0 && cols % bc == 0) {
            from = KERNEL.bsr4(t0, t1, bc, ptr, minor.narrow(), minor.wide(), vals, xT, batch, yT);
        }
        if (from >= batch) {
            return;
        }
        for (int t = t0; t < t1; t++) {
            for (int k = ptr[t]; k < ptr[t + 1]; k++) {
                int c0 = minor.get(k);
                int tile = k * br * bc;
                for (int i = 0; i < br; i++) {
                    int r = t * br + i;
                    if (r >= rows) break;
                    int y = r * batch;
                    for (int j = 0; j < bc; j++) {
                        int c = c0 + j;
                        if (c >= cols) break;
                        float v = vals[tile + i * bc + j];
                        if (v == 0f) continue;
                        int x = c * batch;
                        for (int b = from; b < batch; b++) yT[y + b] += v * xT[x + b];
                    }
                }
            }
        }
    }

    /** The dense definition, for tests. */
    public static void reference(float[] w, int rows, int cols, float[] xT, int batch, float[] yT) {
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < batch; b++) {
                double acc = 0;
                for (int c = 0; c < cols; c++) acc += (double) w[r * cols + c] * xT[c * batch + b];
                yT[r * batch + b] = (float) acc;
            }
        }
    }
}
