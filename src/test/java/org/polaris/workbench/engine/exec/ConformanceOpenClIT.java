package org.polaris.workbench.engine.exec;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.opencl.OpenCl;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ONNX backend node tests of the ops the OpenCL executor runs, on the device (PoCL here, every node it can run
 * placed there): each test the CPU engine passes passes on the device too, and every device op ran on the device in
 * at least one test, so each kernel meets the conformance data through a real graph, not only its Java twin.
 */
class ConformanceOpenClIT {

    /**
     * Device ops no node test of ONNX 1.12 puts on the device: Gelu is opset 20, and every LayerNormalization test
     * also asks for the Mean and InvStdDev outputs, which keep the node on the CPU. OpenClExecutionIT runs both.
     */
    private static final Set<String> NOT_IN_NODE_TESTS = Set.of("Gelu", "LayerNormalization");

    @Test
    void nodeTestsOfDeviceOpsPassOnTheDevice() throws Exception {
        Assumptions.assumeTrue(OpenCl.discover().available(), () -> "skipped: no OpenCL device (" + OpenCl.discover().problem() + ")");
        Assumptions.assumeTrue(Files.isDirectory(TestData.CONFORMANCE.resolve("node")), "libonnx-testdata is not installed");
        SortedMap<String, String> cpuFails = ConformanceNodeIT.listed();
        OnnxModelReader reader = new OnnxModelReader();
        SortedMap<String, String> failing = new TreeMap<>();
        SortedSet<String> ranOnDevice = new TreeSet<>();
        int run = 0;
        for (Path model : TestData.conformanceModels("node")) {
            Path dir = model.getParent();
            String name = dir.getFileName().toString();
            Path vector = dir.resolve("test_data_set_0");
            if (cpuFails.containsKey(name) || !Files.isDirectory(vector)) {
                continue;
            }
            OnnxModel m = reader.read(model);
            if (m.graph().nodes().stream().map(Node::opType).noneMatch(GpuBackend.OPS::contains)) {
                continue;
            }
            try (EngineSession s = EngineSession.load(m, EnginePool.shared(), EngineSession.Device.GPU)) {
                String why = ConformanceNodeIT.check(reader, m, s, vector);
                run++;
                if (why != null) {
                    failing.put(name, why);
                }
                s.lastPlacement().stream().filter(p -> p.device() == EngineSession.Unit.OPENCL)
                        .forEach(p -> ranOnDevice.add(p.op()));
            }
        }
        System.out.printf("node tests of device ops on OpenCL: %d run, %d failing; ops on the device: %s%n", run,
                failing.size(), ranOnDevice);
        assertThat(failing).as("node tests the CPU engine passes but the OpenCL executor does not").isEmpty();
        SortedSet<String> never = new TreeSet<>(GpuBackend.OPS);
        never.removeAll(ranOnDevice);
        never.removeAll(NOT_IN_NODE_TESTS);
        assertThat(never).as("device ops no node test ran on the device").isEmpty();
    }
}
