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

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A view of a graph input (Flatten shares the input's array) must outlive the input's last use: the input's array
 * went back to the buffer arena while the view still read it, and the next kernel of the same size overwrote it.
 */
class InputAliasingTest {

    @Test
    void aFlattenedInputKeepsItsValuesAfterTheInputsLastUse() throws Exception {
        List<Node> nodes = List.of(
                new Node("view", "Flatten", "", List.of("x"), List.of("a"), List.of(Attribute.ofInt("axis", 1)), ""),
                new Node("relu", "Relu", "", List.of("x"), List.of("b"), List.of(), ""),
                new Node("sig", "Sigmoid", "", List.of("b"), List.of("c"), List.of(), ""),
                new Node("sum", "Add", "", List.of("a", "c"), List.of("y"), List.of(), ""));
        Graph g = new Graph("g", nodes,
                List.of(new ValueInfo("x", ValueType.tensor(DataType.FLOAT, List.of(Dim.of(3), Dim.of(4))), "")),
                List.of(new ValueInfo("y", ValueType.tensor(DataType.FLOAT, null), "")), List.of(), List.of(), "", null);
        OnnxModel m = new OnnxModel(8, Map.of("", 13L), "", "", "", 0, "", Map.of(), g, null, null, 0);
        float[] x = new float[12];
        for (int i = 0; i < x.length; i++) x[i] = i - 5.5f;
        Map<String, Tensor> feeds = Map.of("x", Tensor.ofFloats("x", new long[] {3, 4}, x));
        float[] expected = OrtSessions.run(OnnxModelWriter.toBytes(m), feeds).get("y").toFloats();
        EngineSession s = EngineSession.load(m, EnginePool.shared());
        for (int run = 0; run < 3; run++) { // later runs reuse arena buffers
            float[] got = s.run(feeds, false).get("y").toFloats();
            for (int i = 0; i < got.length; i++) {
                assertThat(got[i]).as("run %d element %d", run, i).isCloseTo(expected[i],
                        org.assertj.core.data.Offset.offset(1e-6f));
            }
        }
    }
}
