package org.polaris.workbench.engine.exec;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.job.EnginePool;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The blocked, parallel GEMM against the plain triple loop, on odd and prime sizes. */
class GemmTest {

    @Test
    void matchesReferenceOnOddShapes() {
        int[][] sizes = {{1, 1, 1}, {7, 13, 5}, {37, 129, 65}, {1, 1000, 301}, {64, 3, 257}, {3, 517, 1031}, {29, 49, 300}, {16, 196, 96},
                {13, 17, 9}};
        try (EnginePool pool = new EnginePool(3)) {
            Random r = new Random(5);
            for (int[] s : sizes) {
                int m = s[0], n = s[1], k = s[2];
                float[] a = gaussian(r, m * k);
                float[] b = gaussian(r, k * n);
                float[] fast = new float[m * n];
                float[] ref = new float[m * n];
                Gemm.multiply(pool, m, n, k, a, 0, b, 0, fast, 0);
                Gemm.reference(m, n, k, a, 0, b, 0, ref, 0);
                assertClose(fast, ref, k, String.format("%dx%dx%d", m, n, k));
            }
        }
    }

    /** B in packed column panels (a constant weight against few rows of A), C starting from a bias, odd widths. */
    @Test
    void packedPanelsMatchReference() {
        int[][] sizes = {{2, 1000, 1024}, {8, 33, 70}, {5, 32, 300}, {64, 517, 129}, {3, 31, 7}, {8, 1, 9}};
        try (EnginePool pool = new EnginePool(2)) {
            Random r = new Random(6);
            for (int[] s : sizes) {
                int m = s[0], n = s[1], k = s[2];
                float[] a = gaussian(r, m * k);
                float[] b = gaussian(r, k * n);
                float[] packed = new float[m * n];
                float[] ref = new float[m * n];
                for (int i = 0; i < ref.length; i++) {
                    packed[i] = i % 7; // accumulates onto what C holds
                    ref[i] = i % 7;
                }
                Gemm.multiplyPacked(pool, m, n, k, a, Gemm.packPanels(b, k, n), packed);
                Gemm.reference(m, n, k, a, 0, b, 0, ref, 0);
                assertClose(packed, ref, k, String.format("packed %dx%dx%d", m, n, k));
            }
        }
    }

    /**
     * With an epilogue, C is written, not accumulated: garbage in C must not survive, each row starts from its bias
     * (at an offset, as a group's rows of a grouped convolution) and ends activated; both ways the pool splits the
     * product (column panels, and row ranges for few columns), with and without a bias.
     */
    @Test
    void epilogueStartsFromTheBiasAndActivatesEachBlock() {
        int[][] sizes = {{96, 1000, 16}, {40, 300, 70}, {64, 49, 300}, {7, 13, 5}, {33, 257, 9}};
        LoadTimeRewrites.Activation silu = new LoadTimeRewrites.Activation(FloatMath.Unary.SILU, 0f, 0f);
        try (EnginePool pool = new EnginePool(2)) {
            Random r = new Random(7);
            for (int[] s : sizes) {
                for (boolean withBias : new boolean[] {true, false}) {
                    int m = s[0], n = s[1], k = s[2];
                    float[] a = gaussian(r, m * k);
                    float[] b = gaussian(r, k * n);
                    float[] bias = gaussian(r, m + 3);
                    float[] got = new float[m * n];
                    java.util.Arrays.fill(got, Float.NaN);
                    Gemm.multiply(pool, m, n, k, a, 0, b, 0, got, 0,
                            new Gemm.Epilogue(withBias ? bias : null, 3, silu));
                    float[] ref = new float[m * n];
                    for (int i = 0; i < m; i++) {
                        java.util.Arrays.fill(ref, i * n, (i + 1) * n, withBias ? bias[3 + i] : 0f);
                    }
                    Gemm.reference(m, n, k, a, 0, b, 0, ref, 0);
                    for (int i = 0; i < ref.length; i++) {
                        ref[i] = (float) (ref[i] / (1 + Math.exp(-ref[i])));
                    }
                    assertClose(got, ref, k, String.format("epilogue %dx%dx%d bias %s", m, n, k, withBias));
                }
            }
        }
    }

    private static float[] gaussian(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    /** Within 1e-4 sqrt(k) of the triple loop, element by element. */
    private static void assertClose(float[] got, float[] ref, int k, String what) {
        for (int i = 0; i < ref.length; i++) {
            assertThat((double) Math.abs(got[i] - ref[i])).as("%s [%d]", what, i).isLessThanOrEqualTo(1e-4 * Math.sqrt(k));
        }
    }
}
