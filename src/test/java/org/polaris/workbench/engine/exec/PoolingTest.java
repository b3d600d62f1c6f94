package org.polaris.workbench.engine.exec;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.Node;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * MaxPool (the padded-row path where every window meets the image, else the separable fast path inside the image and
 * the checked path at the borders; the 2x2 stride-2 window in vectors) and the folded Relu against plain loops, over
 * strides, pads, dilations and ceil mode; NaN must propagate as in ONNX Runtime, and +0 wins over -0 as in Math.max.
 */
class PoolingTest {

    @Test
    void maxPoolMatchesPlainLoopOverGeometries() {
        int[][] cases = { // kh kw sy sx dy dx pad ceil h w
                {3, 3, 2, 2, 1, 1, 0, 1, 111, 111}, {3, 3, 2, 2, 1, 1, 0, 0, 13, 14}, {2, 2, 2, 2, 1, 1, 0, 0, 8, 9},
                {3, 3, 1, 1, 1, 1, 1, 0, 7, 5}, {3, 2, 2, 1, 2, 2, 1, 1, 11, 10}, {5, 5, 3, 3, 1, 1, 2, 1, 9, 17},
                {1, 1, 1, 1, 1, 1, 0, 0, 3, 3}, {4, 4, 4, 4, 1, 1, 0, 1, 6, 6},
                // the padded-row path: windows that reach into the padding on every side (ShuffleNet's stem pool)
                {3, 3, 2, 2, 1, 1, 1, 0, 64, 64}, {3, 3, 2, 2, 1, 1, 1, 1, 12, 13}, {2, 2, 2, 2, 1, 1, 1, 1, 7, 7},
                {3, 3, 1, 1, 1, 1, 2, 0, 4, 5},
                // the 2x2 stride-2 window in vectors, with a scalar tail or none (the Fashion CNN's 28x28 and 14x14)
                {2, 2, 2, 2, 1, 1, 0, 0, 28, 28}, {2, 2, 2, 2, 1, 1, 0, 0, 14, 14}, {2, 2, 2, 2, 1, 1, 0, 0, 65, 67},
                {2, 2, 2, 2, 1, 1, 0, 0, 4, 64}};
        Random r = new Random(3);
        try (EnginePool pool = new EnginePool(2)) {
            for (int[] c : cases) {
                int ch = 3, h = c[8], w = c[9];
                float[] x = new float[2 * ch * h * w];
                for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
                x[r.nextInt(x.length)] = Float.NaN;
                // signed zeros side by side: Math.max takes +0 over -0, in any order
                for (int z = 0; z + 1 < x.length; z += 7) {
                    x[z] = -0f;
                    x[z + 1] = z % 2 == 0 ? 0f : -0f;
                }
                Node n = node(c);
                Value y = NnKernels.pooling(pool, n, Value.floats(new int[] {2, ch, h, w}, x), true);
                float[] ref = reference(x, 2 * ch, h, w, c, y.shape[2], y.shape[3]);
                assertThat(y.f).as("case %s", java.util.Arrays.toString(c)).containsExactly(ref);
            }
        }
    }

    @Test
    void foldedReluClampsNegativesAndKeepsNaN() {
        Node n = new Node("c", "Conv", "", List.of("x", "w"), List.of("y"),
                new LoadTimeRewrites.Activation(FloatMath.Unary.RELU, 0f, 0f).attributes(), "");
        float[] v = {-1.5f, 0f, 2.5f, Float.NaN, -0f, Float.NEGATIVE_INFINITY, 7f};
        LoadTimeRewrites.activate(n, v);
        assertThat(v[0]).isEqualTo(0f);
        assertThat(v[2]).isEqualTo(2.5f);
        assertThat(v[3]).isNaN();
        assertThat(v[5]).isEqualTo(0f);
        assertThat(v[6]).isEqualTo(7f);
    }

    private static Node node(int[] c) {
        List<Attribute> a = new ArrayList<>();
        a.add(ints("kernel_shape", c[0], c[1]));
        a.add(ints("strides", c[2], c[3]));
        a.add(ints("dilations", c[4], c[5]));
        a.add(ints("pads", c[6], c[6], c[6], c[6]));
        a.add(Attribute.ofInt("ceil_mode", c[7]));
        return new Node("p", "MaxPool", "", List.of("x"), List.of("y"), a, "");
    }

    private static Attribute ints(String name, long... v) {
        return new Attribute(name, Attribute.Type.INTS, v, "", "");
    }

    /** Every output cell: the maximum over its in-image window cells; NaN wins. */
    private static float[] reference(float[] x, int planes, int h, int w, int[] c, int oh, int ow) {
        float[] out = new float[planes * oh * ow];
        for (int p = 0; p < planes; p++) {
            for (int y = 0; y < oh; y++) {
                for (int xo = 0; xo < ow; xo++) {
                    float m = Float.NEGATIVE_INFINITY;
                    for (int ky = 0; ky < c[0]; ky++) {
                        for (int kx = 0; kx < c[1]; kx++) {
                            int iy = y * c[2] - c[6] + ky * c[4];
                            int ix = xo * c[3] - c[6] + kx * c[5];
                            if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                float v = x[(p * h + iy) * w + ix];
                                m = Float.isNaN(v) || Float.isNaN(m) ? Float.NaN : Math.max(m, v);
                            }
                        }
                    }
                    out[(p * oh + y) * ow + xo] = m;
                }
            }
        }
        return out;
    }
}
