package org.polaris.workbench.engine.exec;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The int8 path's SIMD loops against their scalar definitions, over lengths around the vector width and both code
 * signednesses: quantization (NaN and infinities included) and requantization (saturated, round half to even, zero
 * point), codes to floats, and the code range.
 * In the scalar-kernel run the lanes handle nothing and the same assertions hold for the scalar loops alone.
 */
class QuantLanesTest {

    @Test
    void simdLoopsMatchTheScalarDefinitions() {
        Random r = new Random(11);
        for (int n : new int[] {0, 1, 15, 16, 17, 63, 64, 65, 1000}) {
            float[] acc = new float[n];
            byte[] codes = new byte[n];
            for (int i = 0; i < n; i++) acc[i] = (float) Math.rint(r.nextGaussian() * 4000);
            r.nextBytes(codes);
            for (int z : new int[] {0, 3, -5, 128}) {
                // requantize: lanes first, scalar loop for the rest, as QLinearKernels does
                byte[] got = new byte[n];
                float lo = -128 - z;
                float hi = 127 - z;
                int start = QLinearKernels.LANES.requantize(acc, 0, n, 7f, 0.0137f, lo, hi, z, got);
                for (int i = start; i < n; i++) {
                    got[i] = (byte) (QLinearKernels.roundedBits(Math.max(lo, Math.min(hi, (acc[i] + 7f) * 0.0137f))) + z);
                }
                for (int i = 0; i < n; i++) {
                    int want = (int) Math.max(-128, Math.min(127, Math.rint((acc[i] + 7f) * 0.0137f) + z));
                    assertThat(got[i]).as("requantize n %d z %d at %d", n, z, i).isEqualTo((byte) want);
                }
                // quantize: x / scale in float, NaN to code 0, saturated, half to even (lanes, then the scalar loop)
                float[] x = new float[n];
                for (int i = 0; i < n; i++) {
                    x[i] = i % 29 == 5 ? Float.NaN : i % 31 == 7 ? Float.NEGATIVE_INFINITY : (acc[i] + 0.5f) * 0.01f;
                }
                byte[] q = new byte[n];
                int qStart = QLinearKernels.LANES.quantize(x, n, 0.37f, lo, hi, z, q);
                for (int i = qStart; i < n; i++) {
                    float v = x[i] / 0.37f;
                    q[i] = v != v ? 0 : (byte) (QLinearKernels.roundedBits(Math.max(lo, Math.min(hi, v))) + z);
                }
                for (int i = 0; i < n; i++) {
                    int want = Float.isNaN(x[i]) ? 0 : (int) Math.max(-128, Math.min(127, Math.rint(x[i] / 0.37f) + z));
                    assertThat(q[i]).as("quantize n %d z %d at %d", n, z, i).isEqualTo((byte) want);
                }
                for (boolean unsigned : new boolean[] {true, false}) {
                    float[] f = new float[n];
                    int done = QLinearKernels.LANES.codesToFloats(codes, n, unsigned, z, f);
                    for (int i = done; i < n; i++) f[i] = (unsigned ? codes[i] & 0xff : codes[i]) - z;
                    int[] loHi = {Integer.MAX_VALUE, Integer.MIN_VALUE};
                    int from = QLinearKernels.LANES.range(codes, n, unsigned, loHi);
                    for (int i = from; i < n; i++) {
                        int v = unsigned ? codes[i] & 0xff : codes[i];
                        loHi[0] = Math.min(loHi[0], v);
                        loHi[1] = Math.max(loHi[1], v);
                    }
                    int wantLo = Integer.MAX_VALUE;
                    int wantHi = Integer.MIN_VALUE;
                    for (int i = 0; i < n; i++) {
                        int v = unsigned ? codes[i] & 0xff : codes[i];
                        assertThat(f[i]).as("codes to floats n %d z %d at %d", n, z, i).isEqualTo((float) (v - z));
                        wantLo = Math.min(wantLo, v);
                        wantHi = Math.max(wantHi, v);
                    }
                    assertThat(loHi).as("range n %d unsigned %s", n, unsigned).containsExactly(wantLo, wantHi);
                }
            }
        }
    }
}
