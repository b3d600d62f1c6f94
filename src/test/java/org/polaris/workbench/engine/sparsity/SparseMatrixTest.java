package org.polaris.workbench.engine.sparsity;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** CSR and BSR products (scalar, unrolled 4x4 and SIMD batch paths) against the dense definition. */
class SparseMatrixTest {

    @Test
    void csrAndBsrEqualTheDenseProduct() {
        int[][] shapes = {{8, 12}, {13, 7}, {64, 100}, {1, 1}, {33, 17}};
        int[] batches = {1, 3, 16, 17, 40};
        Random r = new Random(11);
        for (int[] sh : shapes) {
            int rows = sh[0], cols = sh[1];
            float[] w = new float[rows * cols];
            for (int i = 0; i < w.length; i++) w[i] = r.nextFloat() < 0.8 ? 0f : (float) r.nextGaussian();
            // an empty row and an empty column must not trip the formats
            for (int c = 0; c < cols; c++) w[c] = 0f;
            for (int b : batches) {
                float[] xT = new float[cols * b];
                for (int i = 0; i < xT.length; i++) xT[i] = (float) r.nextGaussian();
                float[] want = new float[rows * b];
                SparseMatrix.reference(w, rows, cols, xT, b, want);
                for (SparseMatrix m : new SparseMatrix[] {SparseMatrix.csr(w, rows, cols),
                        SparseMatrix.bsr(w, rows, cols, 4, 4), SparseMatrix.bsr(w, rows, cols, 2, 3)}) {
                    float[] got = new float[rows * b];
                    java.util.Arrays.fill(got, 99f); // multiply overwrites
                    m.multiply(xT, b, got);
                    for (int i = 0; i < want.length; i++) {
                        assertThat((double) got[i]).as("%dx%d batch %d [%d]", rows, cols, b, i)
                                .isCloseTo(want[i], org.assertj.core.data.Offset.offset(1e-4 * (1 + Math.abs(want[i]))));
                    }
                }
            }
        }
    }

    @Test
    void formatsStoreOnlyWhatTheyNeed() {
        float[] w = new float[16 * 16];
        w[0] = 1f;
        w[17] = 2f;
        w[255] = 3f;
        assertThat(SparseMatrix.csr(w, 16, 16).storedValues()).isEqualTo(3);
        // (0,0) and (1,1) share the first 4x4 tile; (15,15) is in the last: two tiles of 16 values
        assertThat(SparseMatrix.bsr(w, 16, 16, 4, 4).storedValues()).isEqualTo(32);
        assertThat(SparseMatrix.csr(w, 16, 16).bytes()).isLessThan(4L * w.length);
    }
}
