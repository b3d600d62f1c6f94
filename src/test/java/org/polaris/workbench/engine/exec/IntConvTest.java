package org.polaris.workbench.engine.exec;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.Node;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The int32 convolution of quantized layers (im2col + int GEMM, direct depthwise) equals the nested-loop definition
 * exactly, including sums far beyond 2^24 where a float accumulator would round.
 */
class IntConvTest {

    @Test
    void equalsDefinitionExactly() {
        int[][] cases = { // c m group k stride pad dilation h w
                {3, 8, 1, 3, 2, 1, 1, 17, 15}, {16, 16, 16, 3, 1, 1, 1, 9, 9}, {16, 16, 16, 3, 2, 1, 1, 10, 7},
                {8, 12, 4, 3, 1, 0, 2, 11, 12}, {5, 7, 1, 1, 1, 0, 1, 6, 5}, {512, 9, 1, 3, 1, 1, 1, 5, 4}};
        Random r = new Random(21);
        try (EnginePool pool = new EnginePool(2)) {
            for (int[] c : cases) {
                int ch = c[0], m = c[1], group = c[2], k = c[3];
                int[] xShape = {2, ch, c[7], c[8]};
                int[] wShape = {m, ch / group, k, k};
                // full-scale codes (uint8 minus zero point 0, int8 weights at -128/127) push sums past 2^24
                int[] x = codes(r, 2 * ch * c[7] * c[8], 0, 255);
                int[] w = codes(r, m * (ch / group) * k * k, -128, 127);
                Node n = new Node("q", "QLinearConv", "", List.of(), List.of(), List.of(Attribute.ofInt("group", group),
                        ints("strides", c[4], c[4]), ints("pads", c[5], c[5], c[5], c[5]), ints("dilations", c[6], c[6])), "");
                int[] shape = new int[4];
                int[] got = IntConv.conv(pool, n, x, xShape, w, wShape, shape);
                int[] want = IntConv.reference(n, x, xShape, w, wShape);
                assertThat(got).as("case %s", java.util.Arrays.toString(c)).containsExactly(want);
                assertThat(shape[0] * shape[1] * shape[2] * shape[3]).isEqualTo(want.length);
            }
        }
    }

    @Test
    void largeSumsStayExact() {
        int[] x = new int[512 * 9];
        int[] w = new int[512 * 9];
        java.util.Arrays.fill(x, 255);
        java.util.Arrays.fill(w, 127);
        w[0] = 126; // 255 * (127 * 4607 + 126) = 149,231,055: odd, and not representable as a float
        Node n = new Node("q", "QLinearConv", "", List.of(), List.of(), List.of(), "");
        try (EnginePool pool = new EnginePool(1)) {
            int[] got = IntConv.conv(pool, n, x, new int[] {1, 512, 3, 3}, w, new int[] {1, 512, 3, 3}, new int[4]);
            assertThat(got).containsExactly(255 * (127 * 4607 + 126));
            assertThat((int) (float) got[0]).isNotEqualTo(got[0]);
        }
    }

    private static int[] codes(Random r, int n, int lo, int hi) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = lo + r.nextInt(hi - lo + 1);
        return a;
    }

    private static Attribute ints(String name, long... v) {
        return new Attribute(name, Attribute.Type.INTS, v, "", "");
    }
}
