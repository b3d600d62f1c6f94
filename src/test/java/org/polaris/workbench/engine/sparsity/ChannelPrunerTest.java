package org.polaris.workbench.engine.sparsity;

import ai.onnx.proto.OnnxMl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.OnnxModelWriter;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.onnx.OrtModelSession;
import org.polaris.workbench.testutil.Protos;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Channel removal on hand-built graphs, run in ONNX Runtime: the rewired model must compute exactly what the original
 * computes once the removed channels are cut off downstream (their next-layer weights zeroed).
 */
class ChannelPrunerTest {

    @TempDir
    Path tmp;

    private static OnnxMl.NodeProto node(String op, List<String> in, String out, OnnxMl.AttributeProto... attrs) {
        OnnxMl.NodeProto.Builder b = OnnxMl.NodeProto.newBuilder().setOpType(op).setName(out).addAllInput(in).addOutput(out);
        for (OnnxMl.AttributeProto a : attrs) b.addAttribute(a);
        return b.build();
    }

    private static OnnxMl.AttributeProto ints(String name, long... v) {
        OnnxMl.AttributeProto.Builder b = OnnxMl.AttributeProto.newBuilder().setName(name).setType(OnnxMl.AttributeProto.AttributeType.INTS);
        for (long x : v) b.addInts(x);
        return b.build();
    }

    private static OnnxMl.AttributeProto intAttr(String name, long v) {
        return OnnxMl.AttributeProto.newBuilder().setName(name).setType(OnnxMl.AttributeProto.AttributeType.INT).setI(v).build();
    }

    /** Weights whose output channel c is scaled by (c + 1), so the first channels are the weakest. */
    private static float[] ranked(int channels, int per, Random r) {
        float[] w = new float[channels * per];
        for (int c = 0; c < channels; c++) {
            for (int k = 0; k < per; k++) w[c * per + k] = (float) ((c + 1) * (0.5 + r.nextDouble()) * (r.nextBoolean() ? 1 : -1));
        }
        return w;
    }

    private static float[] random(int n, Random r) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    /** Conv(8) -> BN -> Relu -> MaxPool -> Conv(6) -> Relu -> Flatten -> Gemm(5, transB) -> Relu -> MatMul(3). */
    private OnnxMl.ModelProto chain(float[] conv2W, float[] fcW, float[] mmW) {
        Random r = new Random(5);
        OnnxMl.GraphProto.Builder g = OnnxMl.GraphProto.newBuilder().setName("chain")
                .addInput(Protos.tensorValue("x", 1, 2, 2, 8, 8))
                .addOutput(Protos.tensorValue("y", 1, 2, 3))
                .addNode(node("Conv", List.of("x", "w1", "b1"), "c1", ints("pads", 1, 1, 1, 1), ints("kernel_shape", 3, 3)))
                .addNode(node("BatchNormalization", List.of("c1", "g", "beta", "mean", "var"), "bn"))
                .addNode(node("Relu", List.of("bn"), "r1"))
                .addNode(node("MaxPool", List.of("r1"), "p1", ints("kernel_shape", 2, 2), ints("strides", 2, 2)))
                .addNode(node("Conv", List.of("p1", "w2", "b2"), "c2", ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1)))
                .addNode(node("Relu", List.of("c2"), "r2"))
                .addNode(node("Flatten", List.of("r2"), "f", intAttr("axis", 1)))
                .addNode(node("Gemm", List.of("f", "w3", "b3"), "g3", intAttr("transB", 1)))
                .addNode(node("Relu", List.of("g3"), "r3"))
                .addNode(node("MatMul", List.of("r3", "w4"), "y"))
                .addInitializer(Protos.floats("w1", new long[] {8, 2, 3, 3}, ranked(8, 18, r)))
                .addInitializer(Protos.floats("b1", new long[] {8}, random(8, r)))
                .addInitializer(Protos.floats("g", new long[] {8}, random(8, r)))
                .addInitializer(Protos.floats("beta", new long[] {8}, random(8, r)))
                .addInitializer(Protos.floats("mean", new long[] {8}, random(8, r)))
                .addInitializer(Protos.floats("var", new long[] {8}, 1, 2, 3, 4, 5, 6, 7, 8))
                .addInitializer(Protos.floats("w2", new long[] {6, 8, 3, 3}, conv2W))
                .addInitializer(Protos.floats("b2", new long[] {6}, random(6, r)))
                .addInitializer(Protos.floats("w3", new long[] {5, 96}, fcW))
                .addInitializer(Protos.floats("b3", new long[] {5}, random(5, r)))
                .addInitializer(Protos.floats("w4", new long[] {5, 3}, mmW));
        return Protos.model(g.build(), 13);
    }

    private static float[] run(byte[] model, float[] x) throws Exception {
        try (OrtModelSession s = OrtModelSession.open(model, OrtModelSession.Config.singleThread(OrtModelSession.Optimization.ALL))) {
            return s.run(Map.of("x", Tensor.ofFloats("x", new long[] {2, 2, 8, 8}, x))).get("y").toFloats();
        }
    }

    @Test
    void removedChannelsAreCutExactlyAndTheRestComputesAsBefore() throws Exception {
        Random r = new Random(9);
        // conv2's output channels ranked too, so its weakest 3 of 6 go; fc1 rows ranked: its weakest 3 of 5 go (round(2.5) = 3)
        float[] w2 = ranked(6, 72, r);
        float[] w3 = ranked(5, 96, r);
        float[] w4 = random(15, r);
        byte[] original = chain(w2, w3, w4).toByteArray();
        OnnxModel m = new OnnxModelReader().read(Files.write(tmp.resolve("chain.onnx"), original));
        ChannelPruner.Outcome o = ChannelPruner.prune(m, 0.5, false, Set.of(), 1);
        assertThat(o.layers()).extracting(ChannelPruner.Layer::channelsAfter).containsExactly(4, 3, 2);
        assertThat(o.layers().get(0).rewired()).contains("BatchNormalization", "Conv c2");
        assertThat(o.layers().get(1).rewired()).contains("Flatten", "Gemm g3");
        assertThat(o.skipped()).extracting(ChannelPruner.Skipped::reason).containsExactly("its channels reach the graph output y");
        Path out = tmp.resolve("pruned.onnx");
        new OnnxModelWriter().write(o.model(), out, false);
        assertThat(Files.size(out)).isLessThan(original.length);

        // the reference: the original with every removed channel's downstream weights zeroed
        float[] w2cut = w2.clone();
        for (int oc = 0; oc < 6; oc++) for (int ic = 0; ic < 4; ic++) for (int k = 0; k < 9; k++) w2cut[(oc * 8 + ic) * 9 + k] = 0;
        float[] w3cut = w3.clone();
        for (int row = 0; row < 5; row++) for (int c = 0; c < 3; c++) for (int s = 0; s < 16; s++) w3cut[row * 96 + c * 16 + s] = 0;
        float[] w4cut = w4.clone();
        for (int k = 0; k < 3; k++) for (int n = 0; n < 3; n++) w4cut[k * 3 + n] = 0;
        byte[] reference = chain(w2cut, w3cut, w4cut).toByteArray();

        float[] x = random(2 * 2 * 8 * 8, new Random(1));
        float[] want = run(reference, x);
        float[] got = run(Files.readAllBytes(out), x);
        assertThat(got).hasSameSizeAs(want);
        for (int i = 0; i < want.length; i++) {
            assertThat(got[i]).as("output %d", i).isCloseTo(want[i], org.assertj.core.data.Offset.offset(1e-3f * (1 + Math.abs(want[i]))));
        }
        assertThat(run(original, x)).isNotEqualTo(want); // the cut mattered, so the comparison means something
    }

    @Test
    void residualAddsGroupedConvolutionsAndSharedWeightsAreLeftWholeWithAReason() throws Exception {
        Random r = new Random(2);
        OnnxMl.GraphProto g = OnnxMl.GraphProto.newBuilder().setName("res")
                .addInput(Protos.tensorValue("x", 1, 1, 4, 6, 6))
                .addOutput(Protos.tensorValue("y", 1, 1, 4, 6, 6))
                .addNode(node("Conv", List.of("x", "wa"), "a", ints("pads", 1, 1, 1, 1), ints("kernel_shape", 3, 3)))
                .addNode(node("Relu", List.of("a"), "ra"))
                .addNode(node("Add", List.of("ra", "x"), "sum"))
                .addNode(node("Conv", List.of("sum", "wb"), "b", ints("kernel_shape", 1, 1)))
                .addNode(node("Conv", List.of("b", "wd"), "d", intAttr("group", 4), ints("kernel_shape", 1, 1)))
                .addNode(node("Conv", List.of("d", "wb2"), "y", ints("kernel_shape", 1, 1)))
                .addInitializer(Protos.floats("wa", new long[] {4, 4, 3, 3}, random(144, r)))
                .addInitializer(Protos.floats("wb", new long[] {4, 4, 1, 1}, random(16, r)))
                .addInitializer(Protos.floats("wd", new long[] {4, 1, 1, 1}, random(4, r)))
                .addInitializer(Protos.floats("wb2", new long[] {4, 4, 1, 1}, random(16, r)))
                .build();
        OnnxModel m = new OnnxModelReader().read(Files.write(tmp.resolve("res.onnx"), Protos.model(g, 13).toByteArray()));
        ChannelPruner.Outcome o = ChannelPruner.prune(m, 0.5, true, Set.of(), 1);
        assertThat(o.layers()).isEmpty();
        assertThat(o.skipped()).extracting(ChannelPruner.Skipped::reason).containsExactly(
                "its channels feed Add (residual adds, concatenations and reshapes are not rewired)",
                "its channels feed a grouped or depthwise convolution",
                "grouped or depthwise convolution",
                "its channels reach the graph output y");
        assertThat(o.model().graph().initializers()).isEqualTo(m.graph().initializers());
    }

    @Test
    void keptCountsFollowTheChannelBlock() {
        assertThat(ChannelPruner.keptChannels(32, 0.3, 1)).isEqualTo(22);
        assertThat(ChannelPruner.keptChannels(32, 0.3, 16)).isEqualTo(16);
        assertThat(ChannelPruner.keptChannels(64, 0.3, 16)).isEqualTo(48);
        assertThat(ChannelPruner.keptChannels(16, 0.3, 16)).isEqualTo(16);
        assertThat(ChannelPruner.keptChannels(64, 0.3, 8)).isEqualTo(48);
        assertThat(ChannelPruner.keptChannels(10, 0.95, 1)).isEqualTo(1);
        assertThat(ChannelPruner.defaultMultiple()).isIn(8, 16);
    }
}
