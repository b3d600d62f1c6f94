package org.polaris.workbench.engine.exec;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.cli.CorpusIT;
import org.polaris.workbench.engine.data.DataSources;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.onnx.OrtSessions;
import org.polaris.workbench.testutil.CorpusModels;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CI share of the real-model corpus on the engine: each model runs and matches ONNX Runtime on the same inputs
 * (every float output within 1e-4 of the largest magnitude, integer outputs equal), except the listed ones, each
 * for the ops the engine still lacks. The set is exact: a model that starts running must come off the list.
 */
class EngineCorpusIT {

    /** Models the engine cannot load yet, with the ops it lacks. */
    static final Map<String, String> NOT_YET = new TreeMap<>(Map.of());

    @Test
    void corpusModelsMatchOnnxRuntime() throws Exception {
        check(EngineSession.Device.CPU);
    }

    /**
     * The same on the OpenCL executor (PoCL here), every node the device can run placed there: each model matches
     * ONNX Runtime, runs some of its nodes on the device, and every node's placement carries its reason.
     */
    @Test
    void corpusModelsMatchOnnxRuntimeOnOpenCl() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(org.polaris.workbench.engine.opencl.OpenCl.discover().available(),
                () -> "skipped: no OpenCL device (" + org.polaris.workbench.engine.opencl.OpenCl.discover().problem() + ")");
        check(EngineSession.Device.GPU);
    }

    private static void check(EngineSession.Device device) throws Exception {
        Map<String, String> unsupported = new TreeMap<>();
        List<String> matched = new ArrayList<>();
        for (CorpusIT.Case c : CorpusIT.CASES) {
            Path model = CorpusModels.get(c.model());
            OnnxModel m = new OnnxModelReader().read(model);
            EngineSession s;
            try {
                s = EngineSession.load(m, EnginePool.shared(), device);
            } catch (UnsupportedOpsException e) {
                unsupported.put(c.model(), String.join(", ", new java.util.TreeSet<>(e.nodesByOp().keySet())));
                continue;
            }
            Map<String, Tensor> feeds = DataSources.open(null, CorpusIT.request(c.flags()), 1, m.graph().feedInputs())
                    .feeds(0, 1, m.graph().feedInputs());
            Map<String, Tensor> expected = OrtSessions.run(Files.readAllBytes(model), feeds);
            Map<String, Tensor> got = s.run(feeds, false);
            for (Map.Entry<String, Tensor> e : expected.entrySet()) {
                Tensor a = got.get(e.getKey());
                assertThat(a).as("%s output %s", c.model(), e.getKey()).isNotNull();
                assertThat(a.dims()).as("%s output %s", c.model(), e.getKey()).isEqualTo(e.getValue().dims());
                double[] x = e.getValue().toDoubles();
                double[] y = a.toDoubles();
                double scale = 0;
                for (double v : x) scale = Math.max(scale, Math.abs(v));
                for (int i = 0; i < x.length; i++) {
                    double tol = e.getValue().dataType() == DataType.FLOAT ? 1e-4 * Math.max(scale, 1e-6) : 0;
                    assertThat(Math.abs(x[i] - y[i])).as("%s output %s element %d: %s vs %s", c.model(), e.getKey(), i,
                            y[i], x[i]).isLessThanOrEqualTo(tol);
                }
            }
            if (device != EngineSession.Device.CPU) {
                List<EngineSession.Placement> placed = s.lastPlacement();
                long onDevice = placed.stream().filter(p -> p.device() == EngineSession.Unit.OPENCL).count();
                assertThat(placed).as("%s placement", c.model()).allSatisfy(p -> assertThat(p.reason()).isNotBlank());
                assertThat(onDevice).as("%s nodes on OpenCL", c.model()).isPositive();
                System.out.printf("%s: %d of %d nodes on OpenCL%n", c.model(), onDevice, placed.size());
            }
            s.close();
            matched.add(c.model());
        }
        System.out.println("engine corpus (" + device + "): matched " + matched + "; not yet " + unsupported);
        assertThat(unsupported).isEqualTo(NOT_YET);
    }
}
