package org.polaris.workbench.engine.inspect;

import ai.onnx.proto.OnnxMl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.CancelledException;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Dim;
import org.polaris.workbench.engine.model.ModelLoadException;
import org.polaris.workbench.engine.onnx.RuntimeValue;
import org.polaris.workbench.engine.onnx.RuntimeView;
import org.polaris.workbench.testutil.Protos;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Files;
import java.nio.file.Path;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelInspectorTest {

    private final ModelInspector inspector = new ModelInspector();

    @Test
    void progressRisesToOneAndSignatureMatches() throws Exception {
        List<Double> seen = new ArrayList<>();
        Inspection in = inspector.inspect(TestData.MOBILENET, (f, m) -> seen.add(f), CancellationToken.none());
        assertThat(seen).isSorted().last().isEqualTo(1.0);
        assertThat(seen.size()).isGreaterThan(10);
        assertThat(in.differences()).isEmpty();
        assertThat(in.runtime().inputs().get(0).shape().get(0)).isEqualTo(Dim.symbolic("N"));
    }

    @Test
    void cancellingStopsBetweenWeights() {
        CancellationToken token = new CancellationToken();
        List<String> messages = new ArrayList<>();
        assertThatThrownBy(() -> inspector.inspect(TestData.MOBILENET, (f, m) -> {
            messages.add(m);
            if (m.startsWith("weight statistics") && messages.size() > 5) {
                token.cancel();
            }
        }, token)).isInstanceOf(CancelledException.class);
        assertThat(messages.size()).isLessThan(20);
    }

    @Test
    void modelThatOnnxRuntimeRejectsGetsItsReason(@TempDir Path tmp) throws Exception {
        OnnxMl.GraphProto g = OnnxMl.GraphProto.newBuilder().setName("g")
                .addNode(OnnxMl.NodeProto.newBuilder().setOpType("NoSuchOperator").addInput("x").addOutput("y"))
                .addInput(Protos.tensorValue("x", 1, 2)).addOutput(Protos.tensorValue("y", 1, 2)).build();
        Path file = Files.write(tmp.resolve("custom-op.onnx"), Protos.model(g, 13).toByteArray());
        assertThatThrownBy(() -> inspector.inspect(file, (f, m) -> { }, CancellationToken.none()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageStartingWith(file.toString())
                .hasMessageContaining("ONNX Runtime rejects the model").hasMessageContaining("NoSuchOperator")
                .satisfies(e -> assertThat(((ModelLoadException) e).problem()).isEqualTo(ModelLoadException.Problem.RUNTIME_REJECTED));
    }

    @Test
    void differencesBetweenFileAndRuntimeAreSpelledOut() throws Exception {
        Inspection in = inspector.inspect(TestData.MNIST8, (f, m) -> { }, CancellationToken.none());
        RuntimeView other = new RuntimeView("test",
                List.of(new RuntimeValue("Input3", DataType.FLOAT, List.of(Dim.symbolic("n"), Dim.of(1), Dim.of(28), Dim.of(28)),
                        "float32[n,1,28,28]"), new RuntimeValue("extra", DataType.INT64, List.of(), "int64[]")),
                List.of());
        List<String> diffs = ModelInspector.compare(in.summary(), other);
        assertThat(diffs).containsExactlyInAnyOrder(
                "input 'Input3': file declares float32[1,1,28,28], ONNX Runtime reports float32[n,1,28,28]",
                "input 'extra' is listed by ONNX Runtime but not declared in the file",
                "output 'Plus214_Output_0' is declared in the file but ONNX Runtime does not list it");
    }
}
