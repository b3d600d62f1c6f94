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

import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Atrous convolutions (DeepLabV3's ASPP: dilation 12-36 on small maps) have kernel taps that lie wholly in the
 * padding: im2col once filled past the row for them, and now leaves them out of the patches and weights. Compared
 * with ONNX Runtime over dilations that leave the centre only, whole rows or columns, or every tap live.
 */
class DilatedConvTest {

    @Test
    void tapsWhollyInThePaddingAreLeftOut() {
        int[] one = {1, 1};
        // 4x5 map, pads 6, dilation 6: the off-centre taps read only padding
        assertThat(ConvKernels.liveTaps(3, 3, 4, 5, 4, 5, one, new int[] {6, 6}, 6, 6)).containsExactly(4);
        // dilation 4 on 4 rows but 9 columns: the top and bottom rows of taps are dead, the columns live
        assertThat(ConvKernels.liveTaps(3, 3, 4, 9, 4, 9, one, new int[] {4, 4}, 4, 4)).containsExactly(3, 4, 5);
        assertThat(ConvKernels.liveTaps(3, 3, 8, 8, 8, 8, one, new int[] {2, 2}, 2, 2)).hasSize(9);
    }

    @Test
    void matchesOnnxRuntime() throws Exception {
        int[][] cases = { // h w dilation pad stride
                {4, 5, 6, 6, 1}, {4, 9, 4, 4, 1}, {8, 8, 2, 2, 1}, {7, 6, 5, 5, 2}, {32, 32, 36, 36, 1}, {6, 6, 3, 1, 1}};
        Random r = new Random(3);
        for (int[] c : cases) {
            int h = c[0], wd = c[1];
            float[] w = new float[4 * 3 * 3 * 3];
            for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
            Attribute pads = new Attribute("pads", Attribute.Type.INTS, new long[] {c[3], c[3], c[3], c[3]}, "", "");
            Attribute dil = new Attribute("dilations", Attribute.Type.INTS, new long[] {c[2], c[2]}, "", "");
            Attribute strides = new Attribute("strides", Attribute.Type.INTS, new long[] {c[4], c[4]}, "", "");
            Graph g = new Graph("g", List.of(new Node("conv", "Conv", "", List.of("x", "w"), List.of("y"),
                    List.of(pads, dil, strides), "")),
                    List.of(new ValueInfo("x", ValueType.tensor(DataType.FLOAT, List.of(Dim.of(1), Dim.of(3), Dim.of(h),
                            Dim.of(wd))), "")),
                    List.of(new ValueInfo("y", ValueType.tensor(DataType.FLOAT, null), "")), List.of(),
                    List.of(Tensor.ofFloats("w", new long[] {4, 3, 3, 3}, w)), "", null);
            OnnxModel m = new OnnxModel(8, Map.of("", 13L), "", "", "", 0, "", Map.of(), g, null, null, 0);
            float[] x = new float[3 * h * wd];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            Map<String, Tensor> feeds = Map.of("x", Tensor.ofFloats("x", new long[] {1, 3, h, wd}, x));
            Tensor expected = OrtSessions.run(OnnxModelWriter.toBytes(m), feeds).get("y");
            EngineSession session = EngineSession.load(m, EnginePool.shared());
            for (int run = 0; run < 2; run++) { // the second run takes the kept live-tap weights
                Tensor got = session.run(feeds, false).get("y");
                assertThat(got.dims()).containsExactly(expected.dims());
                float[] e = expected.toFloats();
                float[] a = got.toFloats();
                for (int i = 0; i < e.length; i++) {
                    assertThat(a[i]).as("case %s element %d", java.util.Arrays.toString(c), i)
                            .isCloseTo(e[i], org.assertj.core.data.Offset.offset(1e-4f));
                }
            }
        }
    }
}
