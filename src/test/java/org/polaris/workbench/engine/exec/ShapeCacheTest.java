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

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shape subgraph an exporter writes before a Reshape (Shape, Gather, Unsqueeze, Concat with constants) is
 * computed once per input shape: a second run with the same shape takes its four values from the cache, a new batch
 * size recomputes them, and every run matches ONNX Runtime.
 */
class ShapeCacheTest {

    @Test
    void shapeStepsAreReusedForTheSameInputShapeAndRecomputedForANewOne() throws Exception {
        ByteBuffer idx = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0);
        ByteBuffer tail = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(2).putLong(3);
        Graph g = new Graph("reshape", List.of(
                new Node("shape", "Shape", "", List.of("x"), List.of("s"), List.of(), ""),
                new Node("gather", "Gather", "", List.of("s", "i0"), List.of("n"), List.of(), ""),
                new Node("unsq", "Unsqueeze", "", List.of("n", "ax"), List.of("n1"), List.of(), ""),
                new Node("concat", "Concat", "", List.of("n1", "tail"), List.of("target"),
                        List.of(Attribute.ofInt("axis", 0)), ""),
                new Node("reshape", "Reshape", "", List.of("x", "target"), List.of("r"), List.of(), ""),
                new Node("relu", "Relu", "", List.of("r"), List.of("y"), List.of(), "")),
                List.of(new ValueInfo("x", ValueType.tensor(DataType.FLOAT, List.of(Dim.symbolic("N"), Dim.of(6))), "")),
                List.of(new ValueInfo("y", ValueType.tensor(DataType.FLOAT, List.of(Dim.symbolic("N"), Dim.of(2), Dim.of(3))), "")),
                List.of(), List.of(
                        new Tensor("i0", DataType.INT64, new long[0], idx.array(), List.of(), null, ""),
                        new Tensor("ax", DataType.INT64, new long[] {1}, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0).array(), List.of(), null, ""),
                        new Tensor("tail", DataType.INT64, new long[] {2}, tail.array(), List.of(), null, "")), "", null);
        OnnxModel m = new OnnxModel(8, Map.of("", 13L), "test", "", "", 0, "", Map.of(), g, null, null, 0);
        byte[] bytes = OnnxModelWriter.toBytes(m);
        EngineSession s = EngineSession.load(m, EnginePool.shared());
        long[] reusedAfter = new long[4];
        int[] batches = {1, 1, 4, 4};
        for (int r = 0; r < batches.length; r++) {
            int n = batches[r];
            float[] v = new float[n * 6];
            for (int i = 0; i < v.length; i++) v[i] = i * (r % 2 == 0 ? 1f : -0.5f) - 3f;
            Tensor x = Tensor.ofFloats("x", new long[] {n, 6}, v);
            Tensor got = s.run(Map.of("x", x), false).get("y");
            Tensor want = OrtSessions.run(bytes, Map.of("x", x)).get("y");
            assertThat(got.dims()).containsExactly(n, 2, 3);
            assertThat(got.toFloats()).containsExactly(want.toFloats());
            reusedAfter[r] = s.reusedShapeSteps();
        }
        // Shape, Gather, Unsqueeze and Concat: computed on runs 1 and 3 (new shapes), reused on runs 2 and 4
        assertThat(reusedAfter).containsExactly(0, 4, 4, 8);
    }
}
