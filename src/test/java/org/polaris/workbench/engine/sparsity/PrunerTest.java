package org.polaris.workbench.engine.sparsity;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each method removes exactly what it promises, and only the smallest weights (or tiles, or channels). */
class PrunerTest {

    private static float[] gaussian(int n, long seed) {
        Random r = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }

    private static long zeros(float[] v) {
        return java.util.stream.IntStream.range(0, v.length).filter(i -> v[i] == 0f).count();
    }

    @Test
    void magnitudeRemovesExactlyTheSmallest() {
        float[] w = gaussian(1000, 1);
        float[] p = Pruner.prune(w, 10, 100, PruneMethod.parse("magnitude"), 0.37);
        assertThat(zeros(p)).isEqualTo(370);
        float maxRemoved = 0, minKept = Float.MAX_VALUE;
        for (int i = 0; i < w.length; i++) {
            if (p[i] == 0f) maxRemoved = Math.max(maxRemoved, Math.abs(w[i]));
            else {
                minKept = Math.min(minKept, Math.abs(w[i]));
                assertThat(p[i]).isEqualTo(w[i]);
            }
        }
        assertThat(maxRemoved).isLessThanOrEqualTo(minKept);
    }

    @Test
    void tiesStillGiveTheExactCount() {
        float[] w = new float[100];
        Arrays.fill(w, 0.5f);
        assertThat(zeros(Pruner.prune(w, 10, 10, PruneMethod.parse("magnitude"), 0.25))).isEqualTo(25);
        float[][] layers = {w.clone(), w.clone()};
        float t = Pruner.globalThreshold(layers, 30);
        assertThat(t).isEqualTo(0.5f);
        assertThat(zeros(Pruner.pruneBelow(layers[0], t, 30))).isEqualTo(30);
    }

    @Test
    void theGlobalThresholdIsTheSortedReferenceOnAnyCount() {
        java.util.Random r = new java.util.Random(11);
        for (int trial = 0; trial < 40; trial++) {
            int layers = 1 + r.nextInt(4);
            float[][] ws = new float[layers][];
            int total = 0;
            for (int l = 0; l < layers; l++) {
                ws[l] = new float[1 + r.nextInt(997)];
                for (int i = 0; i < ws[l].length; i++) {
                    // Gaussians, exact zeros, negative zeros, repeated values and a few huge ones
                    int kind = r.nextInt(10);
                    ws[l][i] = kind == 0 ? 0f : kind == 1 ? -0f : kind == 2 ? 0.25f * (r.nextInt(3) - 1)
                            : kind == 3 ? (float) (1e30 * r.nextGaussian()) : (float) r.nextGaussian();
                }
                total += ws[l].length;
            }
            float[] concat = new float[total];
            int at = 0;
            for (float[] w : ws) {
                System.arraycopy(w, 0, concat, at, w.length);
                at += w.length;
            }
            for (long count : new long[] {1, 2, total / 3, total / 2, total - 1, total, total + 5}) {
                if (count < 1) {
                    continue;
                }
                assertThat(Pruner.globalThreshold(ws, count)).as("trial %d count %d", trial, count)
                        .isEqualTo(Pruner.threshold(concat, count));
            }
        }
        assertThat(Pruner.globalThreshold(new float[][] {{1f}}, 0)).isEqualTo(Float.NEGATIVE_INFINITY);
    }

    @Test
    void nmKeepsTheNLargestOfEveryGroup() {
        float[] w = gaussian(8 * 64, 2);
        float[] p = Pruner.prune(w, 8, 64, PruneMethod.parse("nm:2:4"), 0.9);
        assertThat(zeros(p)).isEqualTo(w.length / 2);
        for (int g = 0; g < w.length; g += 4) {
            float[] orig = Arrays.copyOfRange(w, g, g + 4);
            float[] abs = new float[4];
            for (int i = 0; i < 4; i++) abs[i] = Math.abs(orig[i]);
            Arrays.sort(abs);
            for (int i = 0; i < 4; i++) {
                if (p[g + i] != 0f) assertThat(Math.abs(w[g + i])).isGreaterThanOrEqualTo(abs[2]);
            }
            assertThat(zeros(Arrays.copyOfRange(p, g, g + 4))).isEqualTo(2);
        }
    }

    @Test
    void blocksAndChannelsGoWhole() {
        int rows = 12, cols = 20;
        float[] w = gaussian(rows * cols, 3);
        // make tile (row block 1, col block 2) and channel 5 tiny: they must be the ones removed
        for (int r = 4; r < 8; r++) for (int c = 8; c < 12; c++) w[r * cols + c] *= 1e-3f;
        float[] b = Pruner.prune(w, rows, cols, PruneMethod.parse("block:4x4"), 1.0 / 15);
        assertThat(zeros(b)).isEqualTo(16);
        for (int r = 4; r < 8; r++) for (int c = 8; c < 12; c++) assertThat(b[r * cols + c]).isZero();
        float[] w2 = gaussian(rows * cols, 4);
        for (int c = 0; c < cols; c++) w2[5 * cols + c] *= 1e-3f;
        float[] ch = Pruner.prune(w2, rows, cols, PruneMethod.parse("channel"), 1.0 / 12);
        assertThat(zeros(ch)).isEqualTo(cols);
        for (int c = 0; c < cols; c++) assertThat(ch[5 * cols + c]).isZero();
    }

    @Test
    void rowsFirstLayoutRoundTrips() {
        long[] dims = {6, 4}; // MatMul weight [K, N]: output channels on axis 1
        float[] w = gaussian(24, 5);
        float[] rows = Pruner.toRows(w, dims, 1);
        assertThat(rows[1 * 6 + 2]).isEqualTo(w[2 * 4 + 1]); // output 1, input 2
        assertThat(Pruner.fromRows(rows, dims, 1)).containsExactly(w);
        assertThat(Pruner.rowsCols(new long[] {8, 3, 3, 3}, 0)).containsExactly(8, 27);
        assertThatThrownBy(() -> Pruner.rowsCols(new long[] {2, 3, 4}, 2)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void badMethodsAndSparsitiesAreRefusedClearly() {
        assertThatThrownBy(() -> PruneMethod.parse("nm:4:2")).hasMessageContaining("nm:N:M");
        assertThatThrownBy(() -> PruneMethod.parse("block:0x4")).hasMessageContaining("block:RxC");
        assertThatThrownBy(() -> PruneMethod.parse("random")).hasMessageContaining("unknown pruning method 'random'");
        assertThatThrownBy(() -> Pruner.prune(new float[4], 2, 2, PruneMethod.parse("magnitude"), 1.0))
                .hasMessageContaining("[0, 1)");
        assertThat(PruneMethod.parse("NM:2:4").fixedSparsity()).isEqualTo(0.5);
        assertThat(PruneMethod.parse("block:2x8").toString()).isEqualTo("block:2x8");
    }
}
