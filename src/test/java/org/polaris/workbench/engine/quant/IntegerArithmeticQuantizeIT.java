package org.polaris.workbench.engine.quant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Dim;
import org.polaris.workbench.engine.model.ElementTypes;
import org.polaris.workbench.engine.model.Graph;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelWriter;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;
import org.polaris.workbench.engine.model.ValueType;
import org.polaris.workbench.engine.onnx.OrtSessions;
import org.polaris.workbench.testutil.CliRun;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Detectors do their anchor and shape arithmetic in int64 with the same Add ops their features use
 * (FasterRCNN's anchor generator): static quantization must quantize the float Add only, and calibration must not
 * declare the int64 tensors as float outputs (ONNX Runtime then refuses the model).
 */
class IntegerArithmeticQuantizeIT {

    @TempDir
    Path tmp;

    private static Tensor weights(String name, long out, long in, long seed) {
        Random r = new Random(seed);
        float[] w = new float[(int) (out * in)];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian() * 0.5f;
        return Tensor.ofFloats(name, new long[] {out, in, 1, 1}, w);
    }

    /** Two 1x1 convolutions added in float; the feature map's shape doubled by an int64 Add and cast to float. */
    private static OnnxModel model() {
        List<Node> nodes = List.of(
                new Node("conv_a", "Conv", "", List.of("x", "wa"), List.of("a"), List.of(), ""),
                new Node("conv_b", "Conv", "", List.of("x", "wb"), List.of("b"), List.of(), ""),
                new Node("features", "Add", "", List.of("a", "b"), List.of("f"), List.of(), ""),
                new Node("shape", "Shape", "", List.of("f"), List.of("s"), List.of(), ""),
                new Node("double", "Add", "", List.of("s", "s"), List.of("s2"), List.of(), ""),
                new Node("to_float", "Cast", "", List.of("s2"), List.of("sizes"),
                        List.of(Attribute.ofInt("to", DataType.FLOAT.code())), ""));
        List<Dim> xs = List.of(Dim.symbolic("batch"), Dim.of(4), Dim.of(8), Dim.of(8));
        Graph g = new Graph("g", nodes, List.of(new ValueInfo("x", ValueType.tensor(DataType.FLOAT, xs), "")),
                List.of(new ValueInfo("f", ValueType.tensor(DataType.FLOAT, null), ""),
                        new ValueInfo("sizes", ValueType.tensor(DataType.FLOAT, null), "")),
                List.of(), List.of(weights("wa", 8, 4, 1), weights("wb", 8, 4, 2)), "", null);
        return new OnnxModel(8, Map.of("", 13L), "test", "", "", 0, "", Map.of(), g, null, null, 0);
    }

    @Test
    void elementTypesFollowTheOpsRules() {
        Map<String, DataType> t = ElementTypes.infer(model().graph());
        assertThat(t).containsEntry("f", DataType.FLOAT).containsEntry("s", DataType.INT64)
                .containsEntry("s2", DataType.INT64).containsEntry("sizes", DataType.FLOAT);
    }

    @Test
    void onlyTheFloatAddIsQuantizedAndTheModelStillRuns() throws Exception {
        OnnxModel m = model();
        QdqQuantizer.Plan plan = new QdqQuantizer().plan(m, QuantOptions.staticInt8());
        assertThat(plan.tensors()).contains("x", "a", "b").doesNotContain("s", "s2");
        Path in = tmp.resolve("int-arith.onnx");
        Files.write(in, OnnxModelWriter.toBytes(m));
        Path out = tmp.resolve("int-arith-int8.onnx");
        CliRun r = CliRun.of("quantize", in.toString(), "-o", out.toString(), "--calib-samples", "8",
                "--eval-samples", "4", "--latency-runs", "3", "--no-speed-check");
        assertThat(r.code()).as(r.err()).isZero();
        Map<String, Tensor> feeds = Map.of("x", Tensor.ofFloats("x", new long[] {1, 4, 8, 8}, new float[256]));
        Map<String, Tensor> y = OrtSessions.run(Files.readAllBytes(out), feeds);
        assertThat(y.get("sizes").toFloats()).containsExactly(2f, 16f, 16f, 16f);
    }
}
