package org.polaris.workbench.engine.train;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.job.EnginePool;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every backward pass against central finite differences of {@code L = sum(r * forward(x))} for a random r: the
 * gradient of the input and of every parameter, at every coordinate (the tensors are small).
 */
class LayerGradientTest {

    private static final EnginePool POOL = new EnginePool(2);
    private static final double EPS = 1e-2;

    @AfterAll
    static void close() {
        POOL.close();
    }

    private static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    private static Param param(String name, Random r, int... shape) {
        return new Param(name, shape, random(r, Layers.size(shape)));
    }

    private static double loss(Layer l, float[] x, int batch, float[] weights) {
        float[] y = l.forward(x, batch, false);
        double s = 0;
        for (int i = 0; i < y.length; i++) s += (double) y[i] * weights[i];
        return s;
    }

    /** Checks dL/dx and dL/dparam of {@code l} numerically; returns how many coordinates were compared. */
    private static int check(Layer l, int[] inShape, int batch, long seed) {
        Random r = new Random(seed);
        int[] out = l.outShape(inShape);
        float[] x = random(r, batch * Layers.size(inShape));
        float[] weights = random(r, batch * Layers.size(out));
        l.params().forEach(Param::zeroGrad);
        l.forward(x, batch, true);
        float[] dx = l.backward(weights, batch);
        List<float[]> grads = new ArrayList<>();
        for (Param p : l.params()) grads.add(p.grad.clone());
        int compared = 0;
        for (int i = 0; i < x.length; i++) {
            float keep = x[i];
            x[i] = (float) (keep + EPS);
            double up = loss(l, x, batch, weights);
            x[i] = (float) (keep - EPS);
            double down = loss(l, x, batch, weights);
            x[i] = keep;
            double num = (up - down) / (2 * EPS);
            assertThat(dx[i]).as("%s: d/dx[%d]", l.node(), i).isCloseTo((float) num, org.assertj.core.data.Offset.offset(
                    (float) (2e-3 * Math.max(1, Math.abs(num)))));
            compared++;
        }
        for (int pi = 0; pi < l.params().size(); pi++) {
            Param p = l.params().get(pi);
            for (int i = 0; i < p.value.length; i++) {
                float keep = p.value[i];
                p.value[i] = (float) (keep + EPS);
                double up = loss(l, x, batch, weights);
                p.value[i] = (float) (keep - EPS);
                double down = loss(l, x, batch, weights);
                p.value[i] = keep;
                double num = (up - down) / (2 * EPS);
                assertThat(grads.get(pi)[i]).as("%s: d/d%s[%d]", l.node(), p.name, i).isCloseTo((float) num,
                        org.assertj.core.data.Offset.offset((float) (2e-3 * Math.max(1, Math.abs(num)))));
                compared++;
            }
        }
        return compared;
    }

    @Test
    void gemmWithTransposedAndPlainWeights() {
        Random r = new Random(1);
        assertThat(check(new Layers.Gemm("gemmT", param("w", r, 5, 7), param("b", r, 5), true, POOL), new int[] {7}, 3, 2))
                .isEqualTo(3 * 7 + 35 + 5);
        assertThat(check(new Layers.Gemm("gemm", param("w", r, 7, 4), null, false, POOL), new int[] {7}, 2, 3))
                .isEqualTo(2 * 7 + 28);
    }

    @Test
    void biasBroadcastOverChannelsAndOverTheLastAxis() {
        Random r = new Random(4);
        assertThat(check(new Layers.BiasAdd("bias", param("b", r, 3, 1, 1)), new int[] {3, 2, 2}, 2, 5)).isEqualTo(24 + 3);
        assertThat(check(new Layers.BiasAdd("bias", param("b", r, 1, 4)), new int[] {4}, 3, 6)).isEqualTo(12 + 4);
    }

    @Test
    void reluAwayFromItsKink() {
        // Gaussian inputs: none within EPS of 0 for this seed, so the finite difference is not across the kink
        assertThat(check(new Layers.Relu("relu"), new int[] {6}, 3, 7)).isEqualTo(18);
    }

    @Test
    void convolutionsWithStridePaddingGroupsAndDilation() {
        Random r = new Random(8);
        // 4 -> 6 channels in 2 groups, 3x3, stride 2, pads 1
        Layers.Conv grouped = new Layers.Conv("conv", param("w", r, 6, 2, 3, 3), param("b", r, 6), 2, new int[] {2, 2},
                new int[] {1, 1, 1, 1}, new int[] {1, 1}, POOL);
        assertThat(check(grouped, new int[] {4, 5, 5}, 2, 9)).isEqualTo(2 * 4 * 25 + 108 + 6);
        // dilation 2, asymmetric pads, no bias
        Layers.Conv dilated = new Layers.Conv("conv", param("w", r, 2, 3, 2, 2), null, 1, new int[] {1, 1},
                new int[] {0, 1, 1, 0}, new int[] {2, 2}, POOL);
        assertThat(check(dilated, new int[] {3, 4, 5}, 1, 10)).isEqualTo(60 + 24);
    }

    @Test
    void maxAndGlobalAveragePooling() {
        assertThat(check(new Layers.MaxPool("pool", new int[] {2, 2}, new int[] {2, 2}, new int[4]), new int[] {2, 4, 4}, 2, 11))
                .isEqualTo(64);
        assertThat(check(new Layers.MaxPool("pool", new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1, 1, 1}),
                new int[] {1, 3, 3}, 1, 12)).isEqualTo(9);
        assertThat(check(new Layers.GlobalAveragePool("gap"), new int[] {3, 2, 2}, 2, 13)).isEqualTo(24);
    }

    @Test
    void softmaxCrossEntropyGradient() {
        Random r = new Random(14);
        int batch = 3;
        int classes = 5;
        float[] logits = random(r, batch * classes);
        int[] labels = {0, 4, 2};
        float[] grad = new float[logits.length];
        Losses.softmaxCrossEntropy(logits, labels, batch, classes, grad, null);
        for (int i = 0; i < logits.length; i++) {
            float keep = logits[i];
            logits[i] = (float) (keep + EPS);
            double up = Losses.softmaxCrossEntropy(logits, labels, batch, classes, new float[logits.length], null);
            logits[i] = (float) (keep - EPS);
            double down = Losses.softmaxCrossEntropy(logits, labels, batch, classes, new float[logits.length], null);
            logits[i] = keep;
            assertThat(grad[i]).isCloseTo((float) ((up - down) / (2 * EPS)), org.assertj.core.data.Offset.offset(2e-4f));
        }
    }

    @Test
    void dropoutIsTheIdentityWhenEvaluatingAndScalesWhatItKeepsWhenTraining() {
        Layers.Dropout d = new Layers.Dropout("drop", 0.25, 15);
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8};
        assertThat(d.forward(x, 1, false)).isSameAs(x);
        float[] y = d.forward(x, 1, true);
        float[] g = d.backward(new float[] {1, 1, 1, 1, 1, 1, 1, 1}, 1);
        for (int i = 0; i < x.length; i++) {
            assertThat(y[i]).isIn(0f, x[i] * (float) (1 / 0.75));
            assertThat(g[i]).isEqualTo(y[i] == 0 ? 0f : (float) (1 / 0.75));
        }
    }
}
