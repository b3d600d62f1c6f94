package org.polaris.workbench.engine.exec;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Dim;
import org.polaris.workbench.engine.model.Graph;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelWriter;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.TensorEncoder;
import org.polaris.workbench.engine.model.ValueInfo;
import org.polaris.workbench.engine.model.ValueType;
import org.polaris.workbench.engine.onnx.OrtSessions;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Types the engine computes in a wider one (float16 and double in float32, int16 in int32) come back in the type the
 * graph declares, with the values ONNX Runtime gives (bit for bit, double to float precision): a float16 model's
 * output is float16, not float32.
 */
class DeclaredTypesTest {

    @Test
    void outputsKeepTheirDeclaredElementType() throws Exception {
        for (DataType type : List.of(DataType.FLOAT16, DataType.DOUBLE, DataType.INT16)) {
            String op = type == DataType.INT16 ? "Abs" : "Relu";
            List<Dim> shape = List.of(Dim.of(2), Dim.of(3));
            Graph g = new Graph("t", List.of(new Node("n", op, "", List.of("x"), List.of("y"), List.of(), "")),
                    List.of(new ValueInfo("x", ValueType.tensor(type, shape), "")),
                    List.of(new ValueInfo("y", ValueType.tensor(type, shape), "")), List.of(), List.of(), "", null);
            OnnxModel m = new OnnxModel(8, Map.of("", 14L), "test", "", "", 0, "", Map.of(), g, null, null, 0);
            Tensor x = TensorEncoder.encode("x", type, new long[] {2, 3}, new double[] {-1.5, 0.25, 3, -7, 1000, 0.1});
            Tensor want = OrtSessions.run(OnnxModelWriter.toBytes(m), Map.of("x", x)).get("y");
            Tensor got = EngineSession.load(m, EnginePool.shared()).run(Map.of("x", x), false).get("y");
            assertThat(got.dataType()).as(op + " on " + type).isEqualTo(type).isEqualTo(want.dataType());
            assertThat(got.dims()).isEqualTo(want.dims());
            if (type == DataType.DOUBLE) { // computed in float32: equal to float precision
                double[] a = got.toDoubles();
                double[] b = want.toDoubles();
                for (int i = 0; i < a.length; i++) {
                    assertThat(a[i]).as(op + " on double, element " + i).isCloseTo(b[i], org.assertj.core.data.Offset.offset(1e-6 * Math.abs(b[i])));
                }
            } else {
                assertThat(got.raw()).as(op + " on " + type).isEqualTo(want.raw());
            }
        }
    }
}
