package org.polaris.workbench.engine.exec;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.model.Attribute;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Stride-1 convolutions run tap by tap over a zero-padded image ({@code ConvKernels.shifted}):
 * compared with ONNX Runtime over kernel sizes, symmetric and asymmetric pads, auto_pad, dilations, batches, with a
 * bias and a folded Relu, on one thread and two.
 */
class ShiftedConvTest {

    private record Case(int batch, int c, int m, int h, int w, int kh, int kw, int dil, long[] pads, String autoPad) {
    }

    @Test
    void wideJunkTakesThePatchMatrix() {
        // DeepLabV3's rate-24 atrous layer on a 32x32 map: 32 x 80 positions for 32 x 32 outputs
        assertThat(ConvKernels.shiftedPays(32 * 32, 32 * 80)).isFalse();
        assertThat(ConvKernels.shiftedPays(14 * 14, 14 * 16)).isTrue();
        assertThat(ConvKernels.shiftedPays(7 * 7, 7 * 9)).isTrue();
    }

    @Test
    void matchesOnnxRuntime() throws Exception {
        List<Case> cases = List.of(
                new Case(1, 8, 16, 40, 56, 3, 3, 1, new long[] {1, 1, 1, 1}, null),
                new Case(2, 3, 8, 40, 56, 3, 3, 1, new long[] {1, 1, 1, 1}, null),
                new Case(1, 1, 3, 28, 28, 5, 5, 1, new long[] {2, 2, 2, 2}, null),
                new Case(1, 2, 13, 30, 30, 3, 3, 1, new long[] {1, 1, 1, 1}, null),
                new Case(3, 19, 5, 13, 17, 3, 3, 1, new long[] {1, 1, 1, 1}, null),
                new Case(2, 8, 12, 20, 24, 5, 5, 1, new long[] {2, 2, 2, 2}, null),
                new Case(1, 16, 9, 10, 12, 3, 3, 1, new long[] {0, 1, 2, 0}, null),
                new Case(2, 8, 8, 24, 24, 3, 3, 2, new long[] {2, 2, 2, 2}, null),
                new Case(1, 10, 7, 11, 14, 3, 1, 1, new long[] {1, 0, 1, 0}, null),
                new Case(1, 8, 16, 16, 16, 3, 3, 1, null, "SAME_UPPER"),
                new Case(1, 12, 33, 14, 14, 3, 3, 1, new long[] {0, 0, 0, 0}, null),
                // one column panel with enough work to split: its rows go to the two threads
                new Case(1, 64, 64, 14, 14, 3, 3, 1, new long[] {1, 1, 1, 1}, null));
        Random r = new Random(11);
        for (Case k : cases) {
            long[] p = k.pads == null ? new long[] {1, 1, 1, 1} : k.pads; // SAME_UPPER pads a 3x3 kernel by 1
            int oh = (int) (k.h + p[0] + p[2]) - (k.kh - 1) * k.dil, ow = (int) (k.w + p[1] + p[3]) - (k.kw - 1) * k.dil;
            assertThat(ConvKernels.shiftedPays(oh * ow, oh * (ow + (k.kw - 1) * k.dil))).as("%s takes the path", k)
                    .isTrue();
            List<Attribute> attrs = new ArrayList<>();
            attrs.add(ints("kernel_shape", k.kh, k.kw));
            attrs.add(ints("dilations", k.dil, k.dil));
            if (k.pads != null) {
                attrs.add(ints("pads", k.pads));
            }
            if (k.autoPad != null) {
                attrs.add(ConvAgainstOrt.string("auto_pad", k.autoPad));
            }
            ConvAgainstOrt.assertMatches(k.toString(), new long[] {k.batch, k.c, k.h, k.w},
                    new long[] {k.m, k.c, k.kh, k.kw}, attrs, r);
        }
    }

    private static Attribute ints(String name, long... v) {
        return ConvAgainstOrt.ints(name, v);
    }
}
