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
 * padding; im2col filled past the row for them. Compared with ONNX Runtime.
 */
class DilatedConvTest {

    @Test
    void tapsWhollyInThePaddingAreZero() throws Exception {
        Random r = new Random(3);
        float[] w = new float[4 * 3 * 3 * 3];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        Attribute pads = new Attribute("pads", Attribute.Type.INTS, new long[] {6, 6, 6, 6}, "", "");
        Attribute dil = new Attribute("dilations", Attribute.Type.INTS, new long[] {6, 6}, "", "");
        Graph g = new Graph("g", List.of(new Node("conv", "Conv", "", List.of("x", "w"), List.of("y"), List.of(pads, dil), "")),
                List.of(new ValueInfo("x", ValueType.tensor(DataType.FLOAT, List.of(Dim.of(1), Dim.of(3), Dim.of(4), Dim.of(5))), "")),
                List.of(new ValueInfo("y", ValueType.tensor(DataType.FLOAT, null), "")), List.of(),
                List.of(Tensor.ofFloats("w", new long[] {4, 3, 3, 3}, w)), "", null);
        OnnxModel m = new OnnxModel(8, Map.of("", 13L), "", "", "", 0, "", Map.of(), g, null, null, 0);
        float[] x = new float[3 * 4 * 5];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        Map<String, Tensor> feeds = Map.of("x", Tensor.ofFloats("x", new long[] {1, 3, 4, 5}, x));
        Tensor expected = OrtSessions.run(OnnxModelWriter.toBytes(m), feeds).get("y");
        Tensor got = EngineSession.load(m, EnginePool.shared()).run(feeds, false).get("y");
        assertThat(got.dims()).containsExactly(expected.dims());
        float[] e = expected.toFloats();
        float[] a = got.toFloats();
        for (int i = 0; i < e.length; i++) {
            assertThat(a[i]).as("element %d", i).isCloseTo(e[i], org.assertj.core.data.Offset.offset(1e-4f));
        }
    }
}
