package org.polaris.workbench.engine.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.onnx.OrtSessions;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Read, write, re-read in a fresh ONNX Runtime session: outputs must be bit-identical to the original's, on the
 * samples and on every conformance model that has a test vector and that ONNX Runtime runs.
 */
class RoundTripIT {

    private final OnnxModelReader reader = new OnnxModelReader();
    private final OnnxModelWriter writer = new OnnxModelWriter();

    @TempDir
    Path tmp;

    @Test
    void samplesAndConformanceModelsRoundTripBitIdentically() throws Exception {
        List<Path> models = new ArrayList<>(List.of(TestData.MNIST8, TestData.MOBILENET));
        models.addAll(TestData.conformanceModels("pytorch-converted"));
        models.addAll(TestData.conformanceModels("simple"));
        models.addAll(TestData.conformanceModels("node").stream().limit(250).toList());
        int compared = 0;
        List<String> notRunnable = new ArrayList<>();
        for (Path model : models) {
            Path vector = model.resolveSibling("test_data_set_0");
            if (!Files.isDirectory(vector)) {
                continue;
            }
            OnnxModel m = reader.read(model);
            Map<String, Tensor> inputs = inputs(m, vector);
            Map<String, Tensor> expected;
            try {
                expected = OrtSessions.run(Files.readAllBytes(model), inputs);
            } catch (Exception e) {
                notRunnable.add(model.getParent().getFileName() + ": " + e.getMessage());
                continue;
            }
            Path copy = tmp.resolve(compared + ".onnx");
            writer.write(m, copy, false);
            OnnxModel reread = reader.read(copy);
            assertThat(reread.graph().nodes()).hasSameSizeAs(m.graph().nodes());
            Map<String, Tensor> actual = OrtSessions.run(Files.readAllBytes(copy), inputs);
            assertThat(actual.keySet()).as(model.toString()).isEqualTo(expected.keySet());
            for (String name : expected.keySet()) {
                assertThat(actual.get(name).raw()).as(model + " output " + name).isEqualTo(expected.get(name).raw());
                assertThat(actual.get(name).dims()).isEqualTo(expected.get(name).dims());
            }
            compared++;
        }
        assertThat(compared).as("models compared (not runnable: %s)", notRunnable).isGreaterThan(200);
    }

    private Map<String, Tensor> inputs(OnnxModel m, Path vector) throws Exception {
        Map<String, Tensor> in = new LinkedHashMap<>();
        List<ValueInfo> feeds = m.graph().feedInputs();
        for (int i = 0; i < feeds.size(); i++) {
            Path pb = vector.resolve("input_" + i + ".pb");
            if (Files.isRegularFile(pb)) {
                Tensor t = reader.readTensor(pb);
                in.put(feeds.get(i).name(), t.withName(feeds.get(i).name()));
            }
        }
        return in;
    }
}
