package org.polaris.workbench.engine.exec;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.model.Attribute;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Convolutions on a patch matrix (strided and grouped layers): compared with ONNX Runtime over strides 2-4 (stride 2
 * through the split rows; one stride-1 case goes the tap-by-tap way), pads, auto_pad, dilations, groups and batches
 * (small maps folded into one product, large ones an image per thread, one image on two threads by bands of output
 * rows), with a bias and a folded Relu (the GEMM's epilogue), on one thread and two.
 */
class StridedConvTest {

    private record Case(int batch, int c, int m, int h, int w, int kh, int kw, int stride, int dil, int group,
                        long[] pads, String autoPad) {
    }

    @Test
    void matchesOnnxRuntime() throws Exception {
        List<Case> cases = List.of(
                new Case(2, 3, 32, 33, 35, 3, 3, 2, 1, 1, new long[] {1, 1, 1, 1}, null),
                new Case(3, 3, 8, 40, 56, 3, 3, 1, 1, 1, new long[] {1, 1, 1, 1}, null),
                new Case(1, 16, 24, 29, 30, 3, 3, 2, 1, 1, new long[] {0, 1, 1, 0}, null),
                new Case(2, 8, 12, 17, 19, 5, 5, 3, 1, 1, new long[] {2, 2, 2, 2}, null),
                new Case(1, 4, 6, 21, 22, 3, 3, 2, 2, 1, new long[] {2, 2, 2, 2}, null),
                new Case(2, 8, 12, 14, 15, 3, 3, 2, 1, 4, new long[] {1, 1, 1, 1}, null),
                new Case(1, 3, 16, 31, 31, 3, 3, 2, 1, 1, null, "SAME_UPPER"),
                new Case(4, 6, 10, 7, 9, 4, 4, 4, 1, 1, new long[] {0, 0, 0, 0}, null),
                new Case(1, 64, 40, 20, 20, 3, 3, 2, 1, 1, new long[] {1, 1, 1, 1}, null),
                // one image on two threads by bands of output rows (layers with enough work to split): a band count
                // that does not divide the 81 output rows with asymmetric pads, stride 3 with a dilated 5x5 kernel
                new Case(1, 16, 32, 80, 112, 3, 3, 2, 1, 1, new long[] {1, 1, 1, 1}, null),
                new Case(1, 3, 16, 162, 132, 3, 3, 2, 1, 1, new long[] {0, 1, 1, 0}, null),
                new Case(1, 8, 24, 80, 77, 5, 5, 3, 2, 1, new long[] {2, 3, 1, 2}, null));
        Random r = new Random(11);
        for (Case k : cases) {
            List<Attribute> attrs = new ArrayList<>();
            attrs.add(ints("kernel_shape", k.kh, k.kw));
            attrs.add(ints("dilations", k.dil, k.dil));
            attrs.add(ints("strides", k.stride, k.stride));
            attrs.add(Attribute.ofInt("group", k.group));
            if (k.pads != null) {
                attrs.add(ints("pads", k.pads));
            }
            if (k.autoPad != null) {
                attrs.add(ConvAgainstOrt.string("auto_pad", k.autoPad));
            }
            ConvAgainstOrt.assertMatches(k.toString(), new long[] {k.batch, k.c, k.h, k.w},
                    new long[] {k.m, k.c / k.group, k.kh, k.kw}, attrs, r);
        }
    }

    private static Attribute ints(String name, long... v) {
        return ConvAgainstOrt.ints(name, v);
    }
}
