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
 * Batches of small images, where the convolution runs as one product over the whole batch's patches (3x3 with
 * padding, strided, pointwise, with and without bias, a dilation that leaves taps in the padding, a folded Relu),
 * maps narrower than the GEMM kernel's widest tile, which run as pixels x weights at batch 1, and
 * 2x2 stride-2 max pooling takes its direct loop (odd sizes drop the last row and column): each
 * against ONNX Runtime on the same inputs, at batch 1 (the per-image path) and at batches 3 and 8.
 */
class BatchedSmallMapsTest {

    @Test
    void convolutionsOverABatchMatchOnnxRuntime() throws Exception {
        Random r = new Random(8);
        // in, out, kernel, stride, pad, dilation, bias, relu, h, w
        int[][] cases = {{3, 8, 3, 1, 1, 1, 1, 0, 14, 14}, {4, 16, 1, 1, 0, 1, 1, 1, 7, 9}, {2, 5, 3, 2, 1, 1, 0, 0, 11, 10},
                {3, 4, 3, 1, 6, 6, 1, 0, 5, 6}, {1, 32, 3, 1, 1, 1, 1, 1, 28, 28},
                // planes narrower than the GEMM's widest tile with at least twice as many output channels: at batch 1
                // the product runs as pixels x weights (MobileNetV3's 5x6 and 3x3 maps)
                {24, 64, 1, 1, 0, 1, 1, 1, 5, 6}, {16, 40, 3, 1, 1, 1, 1, 0, 3, 3}, {12, 48, 3, 2, 1, 1, 0, 1, 9, 8},
                {5, 20, 3, 1, 4, 4, 1, 0, 4, 5},
                // stride 2 over odd and even widths, with padding and a wider kernel (rows split into even and odd
                // columns once): a stem like MobileNet's, on a map too big to fold
                {3, 16, 3, 2, 1, 1, 1, 1, 37, 41}, {3, 8, 5, 2, 2, 1, 0, 0, 13, 13}, {2, 4, 3, 2, 3, 3, 1, 0, 12, 15}};
        for (int[] c : cases) {
            for (int batch : new int[] {1, 3, 8}) {
                List<Node> nodes = new ArrayList<>();
                List<String> ins = c[6] == 1 ? List.of("x", "w", "b") : List.of("x", "w");
                nodes.add(new Node("conv", "Conv", "", ins, List.of(c[7] == 1 ? "z" : "y"), List.of(
                        ints("kernel_shape", c[2], c[2]), ints("strides", c[3], c[3]), ints("pads", c[4], c[4], c[4], c[4]),
                        ints("dilations", c[5], c[5])), ""));
                if (c[7] == 1) {
                    nodes.add(new Node("relu", "Relu", "", List.of("z"), List.of("y"), List.of(), ""));
                }
                List<Tensor> init = new ArrayList<>();
                init.add(Tensor.ofFloats("w", new long[] {c[1], c[0], c[2], c[2]}, gaussian(r, c[1] * c[0] * c[2] * c[2])));
                if (c[6] == 1) {
                    init.add(Tensor.ofFloats("b", new long[] {c[1]}, gaussian(r, c[1])));
                }
                compare(nodes, init, new long[] {batch, c[0], c[8], c[9]}, gaussian(r, batch * c[0] * c[8] * c[9]),
                        java.util.Arrays.toString(c) + " batch " + batch);
            }
        }
    }

    @Test
    void linearLayersAtSmallBatchesWithPackedWeightsMatchOnnxRuntime() throws Exception {
        Random r = new Random(10);
        // rows, in, out, transB: the weight streamed in packed panels for 2..64 rows
        int[][] cases = {{8, 1024, 1000, 1}, {2, 70, 33, 0}, {64, 129, 517, 1}, {1, 300, 40, 1}, {3, 40, 31, 0}};
        for (int[] c : cases) {
            long[] wDims = c[3] == 1 ? new long[] {c[2], c[1]} : new long[] {c[1], c[2]};
            List<Node> nodes = List.of(new Node("fc", "Gemm", "", List.of("x", "w", "b"), List.of("y"),
                    List.of(Attribute.ofInt("transB", c[3])), ""));
            List<Tensor> init = List.of(Tensor.ofFloats("w", wDims, gaussian(r, c[1] * c[2])),
                    Tensor.ofFloats("b", new long[] {c[2]}, gaussian(r, c[2])));
            compare(nodes, init, new long[] {c[0], c[1]}, gaussian(r, c[0] * c[1]), "gemm " + java.util.Arrays.toString(c));
        }
    }

    @Test
    void twoByTwoMaxPoolingMatchesOnnxRuntime() throws Exception {
        Random r = new Random(9);
        for (int[] hw : new int[][] {{28, 28}, {7, 9}, {2, 2}, {3, 5}}) {
            for (int batch : new int[] {1, 8}) {
                float[] x = gaussian(r, batch * 3 * hw[0] * hw[1]);
                List<Node> nodes = List.of(new Node("pool", "MaxPool", "", List.of("x"), List.of("y"),
                        List.of(ints("kernel_shape", 2, 2), ints("strides", 2, 2)), ""));
                compare(nodes, List.of(), new long[] {batch, 3, hw[0], hw[1]}, x,
                        "max pool " + java.util.Arrays.toString(hw) + " batch " + batch);
            }
        }
    }

    @Test
    void aNaNInTheWindowGivesNaNAsTheGeneralPoolingPathDoes() {
        // ONNX Runtime's answer depends on where the NaN sits in the window (its max instruction keeps one operand),
        // so this is the engine's own rule, the same on the direct and the general path: NaN in, NaN out
        Node pool2 = new Node("pool", "MaxPool", "", List.of("x"), List.of("y"),
                List.of(ints("kernel_shape", 2, 2), ints("strides", 2, 2)), "");
        Node pool3 = new Node("pool", "MaxPool", "", List.of("x"), List.of("y"),
                List.of(ints("kernel_shape", 2, 3), ints("strides", 2, 3)), "");
        float[] x = {1f, Float.NaN, 3f, 4f, 5f, 6f, 7f, 8f, 9f, 10f, 11f, 12f};
        Value direct = NnKernels.pooling(EnginePool.shared(), pool2, Value.floats(new int[] {1, 1, 2, 6}, x), true);
        assertThat(direct.f).containsExactly(Float.NaN, 10f, 12f);
        Value general = NnKernels.pooling(EnginePool.shared(), pool3, Value.floats(new int[] {1, 1, 2, 6}, x), true);
        assertThat(general.f).containsExactly(Float.NaN, 12f);
    }

    private static void compare(List<Node> nodes, List<Tensor> init, long[] xDims, float[] x, String what) throws Exception {
        List<Dim> dims = new ArrayList<>();
        for (long d : xDims) dims.add(Dim.of(d));
        Graph g = new Graph("g", nodes, List.of(new ValueInfo("x", ValueType.tensor(DataType.FLOAT, dims), "")),
                List.of(new ValueInfo("y", ValueType.tensor(DataType.FLOAT, null), "")), List.of(), init, "", null);
        OnnxModel m = new OnnxModel(8, Map.of("", 13L), "", "", "", 0, "", Map.of(), g, null, null, 0);
        Map<String, Tensor> feeds = Map.of("x", Tensor.ofFloats("x", xDims, x));
        Tensor expected = OrtSessions.run(OnnxModelWriter.toBytes(m), feeds).get("y");
        try (EngineSession session = EngineSession.load(m, EnginePool.shared())) {
            Tensor got = session.run(feeds, false).get("y");
            assertThat(got.dims()).as(what).containsExactly(expected.dims());
            float[] e = expected.toFloats();
            float[] a = got.toFloats();
            for (int i = 0; i < e.length; i++) {
                if (Float.isNaN(e[i])) {
                    assertThat(a[i]).as("%s element %d", what, i).isNaN();
                } else {
                    assertThat(a[i]).as("%s element %d", what, i)
                            .isCloseTo(e[i], org.assertj.core.data.Offset.offset(1e-4f + 1e-5f * Math.abs(e[i])));
                }
            }
        }
    }

    private static Attribute ints(String name, long... v) {
        return new Attribute(name, Attribute.Type.INTS, v, "", "");
    }

    private static float[] gaussian(Random r, int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) r.nextGaussian();
        return f;
    }
}
