package org.polaris.workbench.engine.quant;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Graph;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.OpsetUpgrade;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;
import org.polaris.workbench.engine.model.ValueType;
import org.polaris.workbench.engine.onnx.OrtSessions;
import org.polaris.workbench.testutil.CliRun;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Weight-only INT8 on models older than opset 13, which cannot hold a per-channel DequantizeLinear (or any before
 * opset 10): the ONNX conformance suite's opset-6 Conv and Gemm models are raised to opset 7 and their weights
 * dequantized by Cast and Mul; the written file is smaller and matches the model's own expected outputs.
 */
class OldOpsetWeightOnlyIT {

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"pytorch-converted/test_Conv2d", "pytorch-converted/test_Linear_no_bias",
            "pytorch-converted/test_Conv3d_groups"})
    void opset6ModelsAreRaisedAndDequantizedByCastAndMul(String id) throws Exception {
        Path dir = TestData.CONFORMANCE.resolve(id);
        Assumptions.assumeTrue(Files.isDirectory(dir), "libonnx-testdata is not installed");
        Path model = dir.resolve("model.onnx");
        OnnxModel original = new OnnxModelReader().read(model);
        assertThat(original.defaultOpset()).isEqualTo(6);
        Path out = tmp.resolve("w8.onnx");
        Path data = dir.resolve("test_data_set_0");
        CliRun r = CliRun.of("quantize", model.toString(), "-o", out.toString(), "--mode", "weight-only",
                "--eval-data", data.toString(), "--latency-runs", "3");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("raised from opset 6 to opset 7");

        OnnxModel written = new OnnxModelReader().read(out);
        assertThat(written.defaultOpset()).isEqualTo(7);
        assertThat(written.graph().nodes()).extracting(Node::opType).contains("Cast", "Mul")
                .doesNotContain("DequantizeLinear");
        assertThat(written.graph().nodes()).allSatisfy(n -> assertThat(n.attribute("broadcast")).isEmpty());
        assertThat(written.graph().initializers()).anyMatch(t -> t.dataType() == DataType.INT8);

        // the model's own expected output, from a fresh ONNX Runtime session on the written file
        OnnxModelReader reader = new OnnxModelReader();
        Tensor x = reader.readTensor(data.resolve("input_0.pb"));
        Tensor expected = reader.readTensor(data.resolve("output_0.pb"));
        String in = written.graph().feedInputs().get(0).name();
        Map<String, Tensor> y = OrtSessions.run(Files.readAllBytes(out), Map.of(in, x.withName(in)));
        float[] got = y.get(written.graph().outputs().get(0).name()).toFloats();
        assertThat(QuantMath.cosine(expected.toFloats(), got)).isGreaterThan(0.999);
    }

    @Test
    void aLegacyBroadcastIsNotRaised() {
        Node add = new Node("add", "Add", "", List.of("x", "b"), List.of("y"),
                List.of(Attribute.ofInt("broadcast", 1), Attribute.ofInt("axis", 1)), "");
        Graph g = new Graph("g", List.of(add), List.of(new ValueInfo("x", ValueType.tensor(DataType.FLOAT, null), "")),
                List.of(new ValueInfo("y", ValueType.tensor(DataType.FLOAT, null), "")), List.of(),
                List.of(Tensor.ofFloats("b", new long[] {3}, new float[3])), "", null);
        OnnxModel m = new OnnxModel(3, Map.of("", 6L), "", "", "", 0, "", Map.of(), g, null, null, 0);
        assertThat(OpsetUpgrade.obstacle(m)).isEqualTo("its Add uses opset 6 broadcasting");
    }
}
