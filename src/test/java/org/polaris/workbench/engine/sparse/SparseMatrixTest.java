package org.polaris.workbench.engine.sparse;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Every format's product (scalar, unrolled 4x4 and SIMD batch paths) against the dense definition; round trips. */
class SparseMatrixTest {

    private static float[] sparse(int rows, int cols, double sparsity, Random r) {
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = r.nextFloat() < sparsity ? 0f : (float) r.nextGaussian();
        // an empty row and an empty column must not trip the formats
        for (int c = 0; c < cols; c++) w[c] = 0f;
        for (int row = 0; row < rows; row++) w[row * cols + cols - 1] = 0f;
        return w;
    }

    private static SparseMatrix[] all(float[] w, int rows, int cols) {
        return new SparseMatrix[] {SparseMatrix.csr(w, rows, cols), SparseMatrix.csc(w, rows, cols),
                SparseMatrix.coo(w, rows, cols), SparseMatrix.bsr(w, rows, cols, 4, 4), SparseMatrix.bsr(w, rows, cols, 2, 3)};
    }

    @Test
    void everyFormatEqualsTheDenseProductOnOddAndPrimeSizes() {
        int[][] shapes = {{8, 12}, {13, 7}, {64, 100}, {1, 1}, {33, 17}, {31, 37}};
        int[] batches = {1, 3, 16, 17, 40};
        Random r = new Random(11);
        for (int[] sh : shapes) {
            int rows = sh[0], cols = sh[1];
            float[] w = sparse(rows, cols, 0.8, r);
            for (int b : batches) {
                float[] xT = new float[cols * b];
                for (int i = 0; i < xT.length; i++) xT[i] = (float) r.nextGaussian();
                float[] want = new float[rows * b];
                SparseMatrix.reference(w, rows, cols, xT, b, want);
                for (SparseMatrix m : all(w, rows, cols)) {
                    float[] got = new float[rows * b];
                    java.util.Arrays.fill(got, 99f); // multiply overwrites
                    m.multiply(xT, b, got);
                    for (int i = 0; i < want.length; i++) {
                        assertThat((double) got[i]).as("%s batch %d [%d]", m, b, i)
                                .isCloseTo(want[i], org.assertj.core.data.Offset.offset(1e-4 * (1 + Math.abs(want[i]))));
                    }
                }
            }
        }
    }

    @Test
    void threadsSplitRowsWithoutChangingOneBit() {
        Random r = new Random(2);
        int rows = 256, cols = 300;
        float[] w = sparse(rows, cols, 0.7, r);
        try (org.polaris.workbench.engine.job.EnginePool pool = new org.polaris.workbench.engine.job.EnginePool(2)) {
            for (int b : new int[] {1, 16, 19}) {
                float[] xT = new float[cols * b];
                for (int i = 0; i < xT.length; i++) xT[i] = (float) r.nextGaussian();
                for (SparseMatrix m : new SparseMatrix[] {SparseMatrix.csr(w, rows, cols), SparseMatrix.bsr(w, rows, cols, 4, 4)}) {
                    float[] one = new float[rows * b];
                    float[] two = new float[rows * b];
                    m.multiply(xT, b, one);
                    m.multiply(pool, xT, b, two);
                    assertThat(two).as("%s batch %d", m, b).containsExactly(one);
                }
            }
        }
    }

    @Test
    void everyFormatRoundTripsAndConvertsToEveryOtherExactly() {
        Random r = new Random(5);
        for (int[] sh : new int[][] {{13, 7}, {64, 100}, {1, 1}, {31, 37}}) {
            for (double s : new double[] {0.0, 0.5, 0.95, 1.0}) {
                float[] w = sparse(sh[0], sh[1], s, r);
                for (SparseMatrix m : all(w, sh[0], sh[1])) {
                    assertThat(m.toDense()).as("%s", m).containsExactly(w);
                    for (SparseMatrix.Format f : SparseMatrix.Format.values()) {
                        SparseMatrix c = m.to(f, 3, 2);
                        assertThat(c.format()).isEqualTo(f);
                        assertThat(c.toDense()).as("%s -> %s", m, f).containsExactly(w);
                    }
                }
            }
        }
    }

    @Test
    void footprintsCountExactlyWhatIsHeldWithNarrowIndicesWhenTheyFit() {
        float[] w = new float[16 * 16];
        w[0] = 1f;
        w[17] = 2f;
        w[255] = 3f;
        SparseMatrix csr = SparseMatrix.csr(w, 16, 16);
        assertThat(csr.storedValues()).isEqualTo(3);
        assertThat(csr.indexBits()).isEqualTo(16);
        assertThat(csr.bytes()).isEqualTo(3 * 4 + 3 * 2 + 17 * 4);
        assertThat(SparseMatrix.csc(w, 16, 16).bytes()).isEqualTo(3 * 4 + 3 * 2 + 17 * 4);
        assertThat(SparseMatrix.coo(w, 16, 16).bytes()).isEqualTo(3 * 4 + 3 * 2 + 3 * 2);
        // (0,0) and (1,1) share the first 4x4 tile; (15,15) is in the last: two tiles of 16 values
        SparseMatrix bsr = SparseMatrix.bsr(w, 16, 16, 4, 4);
        assertThat(bsr.storedValues()).isEqualTo(32);
        assertThat(bsr.bytes()).isEqualTo(32 * 4 + 2 * 2 + 5 * 4);
        // a dimension past 65,536 needs 32-bit column indices
        float[] wide = new float[2 * 70_000];
        wide[69_999] = 1f;
        wide[139_999] = 2f;
        SparseMatrix csrWide = SparseMatrix.csr(wide, 2, 70_000);
        assertThat(csrWide.indexBits()).isEqualTo(32);
        assertThat(csrWide.bytes()).isEqualTo(2 * 4 + 2 * 4 + 3 * 4);
        assertThat(csrWide.toDense()).containsExactly(wide);
        float[] y = new float[2];
        float[] x = new float[70_000];
        x[69_999] = 3f;
        csrWide.multiply(x, 1, y);
        assertThat(y).containsExactly(3f, 6f);
    }
}
