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
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The activations folded into the Conv before them at load (SiLU as Sigmoid-then-Mul, HardSwish as HardSigmoid-then-Mul,
 * an SE block's gate), on depthwise and ordinary convolutions: the engine runs exactly the expected nodes and agrees
 * with ONNX Runtime on the unrewritten graph; a pair whose values are used elsewhere, or whose HardSigmoid is not
 * HardSwish's, stays as it is.
 */
class ActivationFoldTest {

    private static final int C = 8;

    @Test
    void siluHardSwishAndGatesFoldIntoTheirConvolutions() throws Exception {
        List<Node> nodes = List.of(
                conv("pw", "x", "w1", "b1", "a", 1),
                node("sig", "Sigmoid", List.of("a"), "as"),
                node("silu", "Mul", List.of("as", "a"), "s"), // operands in either order
                conv("dw", "s", "wd", "bd", "d", C),
                hardSigmoid("hs", "d", "dh", 1f / 6f, 0.5f),
                node("hswish", "Mul", List.of("d", "dh"), "h"),
                node("gap", "GlobalAveragePool", List.of("h"), "g"),
                conv("fc", "g", "w1", "b1", "f", 1),
                hardSigmoid("gate", "f", "fg", 0.2f, 0.5f),
                node("scale", "Mul", List.of("h", "fg"), "y"));
        EngineSession s = check(nodes, List.of("y"));
        assertThat(s.prepared().graph().nodes().stream().map(n -> n.name() + ":" + activation(n)).collect(Collectors.toList()))
                .containsExactly("pw:SILU", "dw:HARD_SWISH", "gap:-", "fc:HARD_SIGMOID", "scale:-");
    }

    @Test
    void pairsWhoseValuesAreUsedElsewhereStay() throws Exception {
        List<Node> nodes = List.of(
                conv("pw", "x", "w1", "b1", "a", 1),
                node("sig", "Sigmoid", List.of("a"), "as"),
                node("silu", "Mul", List.of("a", "as"), "s"),
                node("twice", "Add", List.of("s", "as"), "t"), // the gate is read again
                conv("dw", "t", "wd", "bd", "d", C),
                hardSigmoid("hs", "d", "dh", 0.2f, 0.5f), // not HardSwish's slope
                node("mul", "Mul", List.of("d", "dh"), "y"));
        EngineSession s = check(nodes, List.of("y", "a")); // and the convolution's output is a graph output
        assertThat(s.prepared().graph().nodes().stream().map(n -> n.name() + ":" + activation(n)).collect(Collectors.toList()))
                .containsExactly("pw:-", "sig:-", "silu:-", "twice:-", "dw:-", "hs:-", "mul:-");
    }

    private static EngineSession check(List<Node> nodes, List<String> outputs) throws Exception {
        Random r = new Random(5);
        List<Tensor> inits = List.of(
                Tensor.ofFloats("w1", new long[] {C, C, 1, 1}, gaussian(r, C * C, 0.5)),
                Tensor.ofFloats("b1", new long[] {C}, gaussian(r, C, 0.5)),
                Tensor.ofFloats("wd", new long[] {C, 1, 3, 3}, gaussian(r, C * 9, 0.5)),
                Tensor.ofFloats("bd", new long[] {C}, gaussian(r, C, 0.5)));
        List<ValueInfo> outs = new ArrayList<>();
        outputs.forEach(o -> outs.add(new ValueInfo(o, ValueType.tensor(DataType.FLOAT, null), "")));
        Graph g = new Graph("g", nodes,
                List.of(new ValueInfo("x", ValueType.tensor(DataType.FLOAT, List.of(Dim.of(1), Dim.of(C), Dim.of(20),
                        Dim.of(20))), "")), outs, List.of(), inits, "", null);
        OnnxModel m = new OnnxModel(8, Map.of("", 13L), "", "", "", 0, "", Map.of(), g, null, null, 0);
        Map<String, Tensor> feeds = Map.of("x", Tensor.ofFloats("x", new long[] {1, C, 20, 20}, gaussian(r, C * 400, 3)));
        Map<String, Tensor> want = OrtSessions.run(OnnxModelWriter.toBytes(m), feeds);
        EngineSession s = EngineSession.load(m, EnginePool.shared());
        Map<String, Tensor> got = s.run(feeds, false);
        for (String o : outputs) {
            float[] e = want.get(o).toFloats(), a = got.get(o).toFloats();
            assertThat(a).as(o).hasSameSizeAs(e);
            for (int i = 0; i < e.length; i++) {
                assertThat(a[i]).as("%s[%d]", o, i).isCloseTo(e[i], org.assertj.core.data.Offset.offset(1e-5f * (1 + Math.abs(e[i]))));
            }
        }
        return s;
    }

    private static String activation(Node n) {
        LoadTimeRewrites.Activation a = LoadTimeRewrites.Activation.of(n);
        return a == null ? "-" : a.op().name();
    }

    private static Node conv(String name, String x, String w, String b, String y, int group) {
        List<Attribute> attrs = new ArrayList<>(List.of(Attribute.ofInt("group", group)));
        if (group > 1) {
            attrs.add(new Attribute("pads", Attribute.Type.INTS, new long[] {1, 1, 1, 1}, "", ""));
        }
        return new Node(name, "Conv", "", List.of(x, w, b), List.of(y), attrs, "");
    }

    private static Node node(String name, String op, List<String> in, String out) {
        return new Node(name, op, "", in, List.of(out), List.of(), "");
    }

    private static Node hardSigmoid(String name, String in, String out, float alpha, float beta) {
        return new Node(name, "HardSigmoid", "", List.of(in), List.of(out),
                List.of(Attribute.ofFloat("alpha", alpha), Attribute.ofFloat("beta", beta)), "");
    }

    private static float[] gaussian(Random r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * scale);
        return a;
    }
}
