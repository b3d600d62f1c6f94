package org.polaris.workbench.engine.sparsity;

/**
 * A pruned weight matrix W [rows = outputs, cols = inputs] in a sparse format, and its product with a batch of
 * inputs held input-major, {@code Y^T[rows, batch] = W * X^T[cols, batch]} (so the inner loops run along the
 * batch, contiguous). {@link #csr} stores single weights (CSR), {@link #bsr} r x c tiles (BSR) with zeros inside
 * kept tiles. {@link #reference} is the dense triple loop both are tested against.
 */
public final class SparseMatrix {

    /** SIMD batch kernel: handles batch columns [0, returned) of every row; the scalar fallback handles none. */
    interface BatchKernel {
        int csr(int rows, int[] ptr, int[] idx, float[] vals, float[] xT, int batch, float[] yT);
    }

    private static final BatchKernel KERNEL = select();

    private static BatchKernel select() {
        BatchKernel none = (rows, ptr, idx, vals, xT, batch, yT) -> 0;
        if (Boolean.getBoolean("polaris.scalar") || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return none;
        }
        try {
            return (BatchKernel) Class.forName("org.polaris.workbench.engine.sparsity.VectorSparse")
                    .getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            return none;
        }
    }

    private final int rows;
    private final int cols;
    private final int br;
    private final int bc;
    /** CSR: rows + 1 offsets; BSR: block rows + 1 offsets into {@link #idx} */
    private final int[] ptr;
    /** CSR: column of each value; BSR: first column of each tile */
    private final int[] idx;
    /** CSR: values; BSR: tiles of br * bc values, row-major */
    private final float[] vals;

    private SparseMatrix(int rows, int cols, int br, int bc, int[] ptr, int[] idx, float[] vals) {
        this.rows = rows;
        this.cols = cols;
        this.br = br;
        this.bc = bc;
        this.ptr = ptr;
        this.idx = idx;
        this.vals = vals;
    }

    public static SparseMatrix csr(float[] w, int rows, int cols) {
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
        return new SparseMatrix(rows, cols, 1, 1, ptr, idx, vals);
    }

    /** Tiles of br x bc holding at least one nonzero; edge tiles are padded with zeros. */
    public static SparseMatrix bsr(float[] w, int rows, int cols, int br, int bc) {
        int tr = (rows + br - 1) / br, tc = (cols + bc - 1) / bc;
        int[] ptr = new int[tr + 1];
        java.util.List<Integer> cols0 = new java.util.ArrayList<>();
        java.util.List<float[]> tiles = new java.util.ArrayList<>();
        for (int t = 0; t < tr; t++) {
            for (int u = 0; u < tc; u++) {
                float[] tile = new float[br * bc];
                boolean any = false;
                for (int i = 0; i < br; i++) {
                    int r = t * br + i;
                    for (int j = 0; j < bc && r < rows; j++) {
                        int c = u * bc + j;
                        if (c < cols) {
                            tile[i * bc + j] = w[r * cols + c];
                            any |= tile[i * bc + j] != 0f;
                        }
                    }
                }
                if (any) {
                    cols0.add(u * bc);
                    tiles.add(tile);
                }
            }
            ptr[t + 1] = tiles.size();
        }
        float[] vals = new float[tiles.size() * br * bc];
        for (int k = 0; k < tiles.size(); k++) System.arraycopy(tiles.get(k), 0, vals, k * br * bc, br * bc);
        return new SparseMatrix(rows, cols, br, bc, ptr, cols0.stream().mapToInt(Integer::intValue).toArray(), vals);
    }

    /** Stored values (for BSR including the zeros inside kept tiles). */
    public long storedValues() {
        return vals.length;
    }

    /** Bytes of the format: values, indices and offsets as Java holds them. */
    public long bytes() {
        return 4L * vals.length + 4L * idx.length + 4L * ptr.length;
    }

    /** Y^T[rows, batch] = W * X^T[cols, batch]; y is overwritten. */
    public void multiply(float[] xT, int batch, float[] yT) {
        java.util.Arrays.fill(yT, 0, rows * batch, 0f);
        if (br == 1 && bc == 1) {
            if (batch == 1) {
                for (int r = 0; r < rows; r++) {
                    float acc = 0;
                    for (int p = ptr[r]; p < ptr[r + 1]; p++) acc += vals[p] * xT[idx[p]];
                    yT[r] = acc;
                }
                return;
            }
            int from = KERNEL.csr(rows, ptr, idx, vals, xT, batch, yT);
            for (int r = 0; r < rows && from < batch; r++) {
                int y = r * batch;
                for (int p = ptr[r]; p < ptr[r + 1]; p++) {
                    float v = vals[p];
                    int x = idx[p] * batch;
                    for (int b = from; b < batch; b++) yT[y + b] += v * xT[x + b];
                }
            }
            return;
        }
        if (br == 4 && bc == 4 && batch == 1 && rows % 4 == 0 && cols % 4 == 0) {
            // the common tile, unrolled: sixteen multiply-adds per tile without branches
            for (int t = 0; t + 1 < ptr.length; t++) {
                float y0 = 0, y1 = 0, y2 = 0, y3 = 0;
                for (int k = ptr[t]; k < ptr[t + 1]; k++) {
                    int c = idx[k], v = k * 16;
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
        for (int t = 0; t + 1 < ptr.length; t++) {
            for (int k = ptr[t]; k < ptr[t + 1]; k++) {
                int c0 = idx[k];
                int tile = k * br * bc;
                for (int i = 0; i < br; i++) {
                    int r = t * br + i;
                    if (r >= rows) break;
                    int y = r * batch;
                    for (int j = 0; j < bc; j++) {
                        int c = c0 + j;
                        if (c >= cols) break;
                        float v = vals[tile + i * bc + j];
                        int x = c * batch;
                        for (int b = 0; b < batch; b++) yT[y + b] += v * xT[x + b];
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
