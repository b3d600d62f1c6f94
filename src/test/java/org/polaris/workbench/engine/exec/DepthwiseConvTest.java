package org.polaris.workbench.engine.exec;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.Node;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Depthwise convolution (the flat padded 3x3 stride-1 path, the phase-plane path for every other kernel, stride and
 * dilation, its rows split into even and odd columns at stride 2, or all columns computed on the scalar kernels,
 * channels-last on maps of at most 64 pixels) against a plain loop, over map sizes below and above the vector width,
 * pads (of both parities, which decide the phase the even columns land in), strides and dilations; a folded
 * activation against the unfused convolution followed by the op; the even/odd split against its definition.
 */
class DepthwiseConvTest {

    @Test
    void matchesPlainLoop() {
        int[][] cases = { // k stride pad h w dilation
                {3, 1, 1, 7, 7, 1}, {3, 1, 1, 14, 14, 1}, {3, 1, 1, 3, 40, 1}, {3, 1, 0, 9, 5, 1}, {3, 2, 1, 112, 112, 1},
                {3, 2, 1, 7, 7, 1}, {3, 1, 2, 6, 6, 1}, {5, 1, 2, 11, 13, 1}, {3, 1, 1, 1, 1, 1}, {3, 2, 0, 10, 11, 1},
                {7, 1, 3, 14, 14, 1}, {5, 2, 2, 15, 14, 1}, {5, 2, 2, 2, 3, 1}, {3, 3, 1, 10, 8, 1}, {3, 1, 2, 9, 9, 2},
                {3, 2, 4, 12, 11, 3}, {3, 1, 4, 5, 5, 4}, {3, 2, 1, 56, 56, 1}, {3, 2, 0, 57, 57, 1},
                {3, 2, 2, 33, 70, 1}, {5, 2, 2, 112, 112, 1}, {3, 2, 1, 9, 36, 1}, {5, 2, 1, 40, 41, 1}, {3, 2, 3, 4, 4, 1}};
        Random r = new Random(9);
        try (EnginePool pool = new EnginePool(2)) {
            for (int i = 0; i < cases.length; i++) {
                int[] c = cases[i];
                // 37 channels: two vectors and a scalar tail along the channels on the channels-last path (maps of
                // at most 64 output pixels); 101: a group of four vectors, two single ones and a tail (AVX-512)
                int ch = i % 3 == 0 ? 5 : i % 3 == 1 ? 37 : 101;
                int k = c[0], s = c[1], pad = c[2], h = c[3], w = c[4], dil = c[5];
                float[] x = gaussian(r, 2 * ch * h * w);
                float[] wt = gaussian(r, ch * k * k);
                float[] bias = gaussian(r, ch);
                Node n = new Node("dw", "Conv", "", List.of("x", "w", "b"), List.of("y"), List.of(
                        Attribute.ofInt("group", ch), ints("strides", s, s), ints("pads", pad, pad, pad, pad),
                        ints("dilations", dil, dil)), "");
                Value y = ConvKernels.conv(pool, n, Value.floats(new int[] {2, ch, h, w}, x),
                        Value.floats(new int[] {ch, 1, k, k}, wt), Value.floats(new int[] {ch}, bias));
                int span = (k - 1) * dil + 1;
                int oh = (h + 2 * pad - span) / s + 1, ow = (w + 2 * pad - span) / s + 1;
                assertThat(y.shape).containsExactly(2, ch, oh, ow);
                for (int b = 0; b < 2; b++) {
                    for (int o = 0; o < ch; o++) {
                        for (int yy = 0; yy < oh; yy++) {
                            for (int xx = 0; xx < ow; xx++) {
                                double acc = bias[o];
                                for (int ky = 0; ky < k; ky++) {
                                    for (int kx = 0; kx < k; kx++) {
                                        int iy = yy * s - pad + ky * dil, ix = xx * s - pad + kx * dil;
                                        if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                            acc += wt[(o * k + ky) * k + kx] * x[((b * ch + o) * h + iy) * w + ix];
                                        }
                                    }
                                }
                                float got = y.f[((b * ch + o) * oh + yy) * ow + xx];
                                assertThat((double) got).as("case %s at %d,%d,%d,%d", java.util.Arrays.toString(c), b, o, yy, xx)
                                        .isCloseTo(acc, org.assertj.core.data.Offset.offset(1e-4));
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void deinterleaveSplitsEvenAndOddElements() {
        Random r = new Random(5);
        float[] in = gaussian(r, 300);
        for (int n : new int[] {0, 1, 7, 8, 9, 16, 17, 31, 32, 33, 100, 149}) {
            for (int off : new int[] {0, 1, 2}) {
                float[] even = new float[n + 5];
                float[] odd = new float[n + 9];
                java.util.Arrays.fill(even, Float.NaN);
                java.util.Arrays.fill(odd, Float.NaN);
                int done = ConvKernels.TAPS.deinterleave(in, off, even, 3, odd, 7, n);
                assertThat(done).as("n %d", n).isBetween(0, n);
                for (int i = 0; i < done; i++) {
                    assertThat(even[3 + i]).as("even n %d off %d at %d", n, off, i).isEqualTo(in[off + 2 * i]);
                    assertThat(odd[7 + i]).as("odd n %d off %d at %d", n, off, i).isEqualTo(in[off + 2 * i + 1]);
                }
                // nothing written outside the count it returned
                for (int i = 0; i < even.length; i++) {
                    if (i < 3 || i >= 3 + done) assertThat(even[i]).as("even n %d at %d", n, i).isNaN();
                }
                for (int i = 0; i < odd.length; i++) {
                    if (i < 7 || i >= 7 + done) assertThat(odd[i]).as("odd n %d at %d", n, i).isNaN();
                }
                if (ConvKernels.TAPS.lanes() > 1 && n >= ConvKernels.TAPS.lanes()) {
                    // the vector split takes all but less than half a vector
                    assertThat(n - done).as("left to the scalar loop, n %d", n)
                            .isLessThan(ConvKernels.TAPS.lanes() / 2);
                }
            }
        }
    }

    @Test
    void foldedActivationMatchesConvolutionThenOp() {
        Random r = new Random(11);
        int ch = 21;
        try (EnginePool pool = new EnginePool(2)) {
            for (int[] c : new int[][] {{3, 1, 1, 20, 20}, {3, 2, 1, 40, 40}, {5, 1, 2, 9, 9}, {5, 1, 2, 5, 6}}) {
                int k = c[0], s = c[1], pad = c[2], h = c[3], w = c[4];
                Value x = Value.floats(new int[] {1, ch, h, w}, gaussian(r, ch * h * w));
                Value wt = Value.floats(new int[] {ch, 1, k, k}, gaussian(r, ch * k * k));
                Value bias = Value.floats(new int[] {ch}, gaussian(r, ch));
                List<Attribute> geometry = List.of(Attribute.ofInt("group", ch), ints("strides", s, s),
                        ints("pads", pad, pad, pad, pad));
                Value plain = ConvKernels.conv(pool, new Node("dw", "Conv", "", List.of("x", "w", "b"), List.of("y"),
                        geometry, ""), x, wt, bias);
                for (FloatMath.Unary op : List.of(FloatMath.Unary.SILU, FloatMath.Unary.HARD_SWISH,
                        FloatMath.Unary.CLIP, FloatMath.Unary.SIGMOID)) {
                    var act = new LoadTimeRewrites.Activation(op, 0f, 6f);
                    List<Attribute> attrs = new java.util.ArrayList<>(geometry);
                    attrs.addAll(act.attributes());
                    Value fused = ConvKernels.conv(pool, new Node("dw", "Conv", "", List.of("x", "w", "b"),
                            List.of("y"), attrs, ""), x, wt, bias);
                    float[] want = plain.f.clone();
                    FloatMath.unaryRange(op, want, want, 0, want.length, 0f, 6f);
                    // the SIMD and scalar transcendental loops split the work differently per plane: a few ulp apart
                    for (int i = 0; i < want.length; i++) {
                        assertThat(fused.f[i]).as("%s on case %s at %d", op, java.util.Arrays.toString(c), i)
                                .isCloseTo(want[i], org.assertj.core.data.Offset.offset(4 * Math.ulp(Math.abs(want[i]) + 1f)));
                    }
                }
            }
        }
    }

    private static float[] gaussian(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }

    private static Attribute ints(String name, long... v) {
        return new Attribute(name, Attribute.Type.INTS, v, "", "");
    }
}
