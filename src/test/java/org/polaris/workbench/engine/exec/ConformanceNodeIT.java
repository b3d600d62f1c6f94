package org.polaris.workbench.engine.exec;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.ModelLoadException;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ONNX backend node tests (Debian libonnx-testdata) through the engine: every test whose ops the engine
 * implements must match the expected outputs (rtol 1e-3, atol 1e-5, the backend suite's own tolerance scale).
 */
public class ConformanceNodeIT {

    /** Tests the engine passes today; the count may only go up. */
    static final int MIN_PASSED = 157;

    public record Outcome(int passed, int failed, int unsupported, List<String> failures) {
    }

    public static Outcome runAll() throws Exception {
        OnnxModelReader reader = new OnnxModelReader();
        int passed = 0;
        int unsupported = 0;
        List<String> failures = new ArrayList<>();
        for (Path model : TestData.conformanceModels("node")) {
            Path dir = model.getParent();
            Path vector = dir.resolve("test_data_set_0");
            if (!Files.isDirectory(vector)) {
                continue;
            }
            OnnxModel m;
            EngineSession s;
            try {
                m = reader.read(model);
                s = EngineSession.load(m, EnginePool.shared());
            } catch (UnsupportedOpsException | ModelLoadException e) {
                unsupported++;
                continue;
            }
            String why = check(reader, m, s, vector);
            if (why == null) {
                passed++;
            } else {
                failures.add(dir.getFileName() + ": " + why);
            }
        }
        return new Outcome(passed, failures.size(), unsupported, failures);
    }

    private static String check(OnnxModelReader reader, OnnxModel m, EngineSession s, Path vector) {
        try {
            Map<String, Tensor> feeds = new LinkedHashMap<>();
            List<ValueInfo> ins = m.graph().feedInputs();
            for (int i = 0; i < ins.size(); i++) {
                Path pb = vector.resolve("input_" + i + ".pb");
                if (Files.exists(pb)) {
                    feeds.put(ins.get(i).name(), reader.readTensor(pb).withName(ins.get(i).name()));
                }
            }
            Map<String, Tensor> got = s.run(feeds, false);
            List<ValueInfo> outs = m.graph().outputs();
            for (int i = 0; i < outs.size(); i++) {
                Tensor expected = reader.readTensor(vector.resolve("output_" + i + ".pb"));
                Tensor actual = got.get(outs.get(i).name());
                if (actual == null) {
                    return "no output " + outs.get(i).name();
                }
                if (!java.util.Arrays.equals(actual.dims(), expected.dims())) {
                    return "shape " + actual.shapeString() + " != " + expected.shapeString();
                }
                if (expected.dataType() == DataType.STRING || !expected.dataType().isNumeric()) {
                    return "non-numeric output";
                }
                double[] e = expected.toDoubles();
                double[] a = actual.toDoubles();
                for (int k = 0; k < e.length; k++) {
                    boolean bothNaN = Double.isNaN(e[k]) && Double.isNaN(a[k]);
                    if (!bothNaN && !(Math.abs(e[k] - a[k]) <= 1e-5 + 1e-3 * Math.abs(e[k]))) {
                        return "element " + k + ": " + a[k] + " != " + e[k];
                    }
                }
            }
            return null;
        } catch (RuntimeException | ModelLoadException e) {
            return String.valueOf(e.getMessage());
        }
    }

    @Test
    void supportedNodeTestsPass() throws Exception {
        Outcome o = runAll();
        System.out.printf("engine node tests: passed %d, failed %d, unsupported %d%n", o.passed(), o.failed(),
                o.unsupported());
        assertThat(o.passed()).as("passed %d, failed %d, unsupported %d; failures: %s", o.passed(), o.failed(),
                o.unsupported(), o.failures()).isGreaterThanOrEqualTo(MIN_PASSED);
    }
}
