package org.polaris.workbench.engine.exec;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Dim;
import org.polaris.workbench.engine.model.Graph;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelWriter;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;
import org.polaris.workbench.engine.model.ValueType;
import org.polaris.workbench.engine.onnx.OrtSessions;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
                new Case(1, 12, 33, 14, 14, 3, 3, 1, new long[] {0, 0, 0, 0}, null));
        Random r = new Random(11);
        for (Case k : cases) {
            long[] p = k.pads == null ? new long[] {1, 1, 1, 1} : k.pads; // SAME_UPPER pads a 3x3 kernel by 1
            int oh = (int) (k.h + p[0] + p[2]) - (k.kh - 1) * k.dil, ow = (int) (k.w + p[1] + p[3]) - (k.kw - 1) * k.dil;
            assertThat(ConvKernels.shiftedPays(oh * ow, oh * (ow + (k.kw - 1) * k.dil))).as("%s takes the path", k)
                    .isTrue();
            float[] w = gaussian(r, k.m * k.c * k.kh * k.kw);
            float[] bias = gaussian(r, k.m);
            List<Attribute> attrs = new ArrayList<>();
            attrs.add(ints("kernel_shape", k.kh, k.kw));
            attrs.add(ints("dilations", k.dil, k.dil));
            if (k.pads != null) {
                attrs.add(ints("pads", k.pads));
            }
            if (k.autoPad != null) {
                attrs.add(new Attribute("auto_pad", Attribute.Type.STRING,
                        k.autoPad.getBytes(java.nio.charset.StandardCharsets.UTF_8), "", ""));
            }
            Graph g = new Graph("g", List.of(
                    new Node("conv", "Conv", "", List.of("x", "w", "b"), List.of("c"), attrs, ""),
                    new Node("relu", "Relu", "", List.of("c"), List.of("y"), List.of(), "")),
                    List.of(new ValueInfo("x", ValueType.tensor(DataType.FLOAT, List.of(Dim.of(k.batch), Dim.of(k.c),
                            Dim.of(k.h), Dim.of(k.w))), "")),
                    List.of(new ValueInfo("y", ValueType.tensor(DataType.FLOAT, null), "")), List.of(),
                    List.of(Tensor.ofFloats("w", new long[] {k.m, k.c, k.kh, k.kw}, w),
                            Tensor.ofFloats("b", new long[] {k.m}, bias)), "", null);
            OnnxModel model = new OnnxModel(8, Map.of("", 13L), "", "", "", 0, "", Map.of(), g, null, null, 0);
            Map<String, Tensor> feeds = Map.of("x", Tensor.ofFloats("x", new long[] {k.batch, k.c, k.h, k.w},
                    gaussian(r, k.batch * k.c * k.h * k.w)));
            Tensor expected = OrtSessions.run(OnnxModelWriter.toBytes(model), feeds).get("y");
            for (int threads : new int[] {1, 2}) {
                try (EnginePool pool = new EnginePool(threads)) {
                    EngineSession session = EngineSession.load(model, pool);
                    for (int run = 0; run < 2; run++) { // the second run takes the kept tap-major weights
                        Tensor got = session.run(feeds, false).get("y");
                        assertThat(got.dims()).as("%s", k).containsExactly(expected.dims());
                        float[] e = expected.toFloats();
                        float[] a = got.toFloats();
                        for (int i = 0; i < e.length; i++) {
                            assertThat(a[i]).as("%s on %d thread(s), element %d", k, threads, i)
                                    .isCloseTo(e[i], org.assertj.core.data.Offset.offset(1e-4f * (1 + Math.abs(e[i]))));
                        }
                    }
                }
            }
        }
    }

    private static Attribute ints(String name, long... v) {
        return new Attribute(name, Attribute.Type.INTS, v, "", "");
    }

    private static float[] gaussian(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }
}
