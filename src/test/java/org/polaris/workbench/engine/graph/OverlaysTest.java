package org.polaris.workbench.engine.graph;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.exec.EngineSession;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Graph;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;
import org.polaris.workbench.engine.model.ValueType;
import org.polaris.workbench.engine.runtime.NodeTiming;
import org.polaris.workbench.testutil.TestData;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

class OverlaysTest {

    private static final ValueType F = ValueType.tensor(DataType.FLOAT, null);

    /** x -> a -> c, x -> b -> c, c -> y: a diamond. */
    private static ModelGraph diamond() {
        List<Node> nodes = List.of(
                new Node("a", "Relu", "", List.of("x"), List.of("ta"), List.of(), ""),
                new Node("b", "Sigmoid", "", List.of("x"), List.of("tb"), List.of(), ""),
                new Node("c", "Add", "", List.of("ta", "tb"), List.of("y"), List.of(), ""));
        return ModelGraph.of(new Graph("d", nodes, List.of(new ValueInfo("x", F, "")), List.of(new ValueInfo("y", F, "")),
                List.of(), List.of(), "", null));
    }

    private static Set<String> names(Set<ModelGraph.Edge> edges) {
        return edges.stream().map(e -> e.from() + " -> " + e.to()).collect(Collectors.toSet());
    }

    @Test
    void timeColoursByShareAndHighlightsTheSlowestPath() {
        ModelGraph g = diamond();
        Overlay o = Overlays.time(g, List.of(new NodeTiming("a", "Relu", 5_000_000, 0, 0),
                new NodeTiming("b", "Sigmoid", 1_000_000, 0, 0), new NodeTiming("c", "Add", 1_000_000, 0, 0),
                new NodeTiming("ReorderOutput", "ReorderOutput", 200_000, 0, 0)), "test");
        assertThat(o.marks().keySet()).containsExactlyInAnyOrder("a", "b", "c");
        assertThat(o.marks().get("a").rgb()).isEqualTo(Overlays.HEAT[4]);
        assertThat(o.marks().get("b").rgb()).isEqualTo(Overlays.HEAT[2]); // 20% of the largest
        assertThat(o.marks().get("a").value()).isEqualTo("5.000 ms");
        assertThat(names(o.highlighted())).containsExactlyInAnyOrder("input:x -> a", "a -> c", "c -> output:y");
        assertThat(o.note()).isEqualTo("7.000 ms in 3 nodes; 1 runtime kernels match no node (0.200 ms)");
        // b slower than a: the path goes through b
        Overlay o2 = Overlays.time(g, List.of(new NodeTiming("a", "Relu", 1, 0, 0), new NodeTiming("b", "Sigmoid", 9, 0, 0)), "t");
        assertThat(names(o2.highlighted())).containsExactlyInAnyOrder("input:x -> b", "b -> c", "c -> output:y");
    }

    @Test
    void ortKernelsNamedAfterTheirOutputGoToTheProducer() throws Exception {
        ModelGraph g = ModelGraph.of(new OnnxModelReader().read(TestData.FASHION_CNN).graph());
        Overlay o = Overlays.time(g, List.of(new NodeTiming("/Relu_output_0_nchwc", "Conv", 3_000_000, 0, 0),
                new NodeTiming("/fc1/Gemm", "Gemm", 1_000_000, 0, 0)), "ort");
        assertThat(o.marks().keySet()).containsExactlyInAnyOrder("/Relu", "/fc1/Gemm");
        assertThat(o.note()).contains("8 without a time of their own");
    }

    @Test
    void placementMarksDevicesAndTheTransfersBetweenThem() {
        ModelGraph g = diamond();
        Overlay o = Overlays.placement(g, List.of(
                new EngineSession.Placement("a", "Relu", EngineSession.Unit.OPENCL, "measured faster"),
                new EngineSession.Placement("b", "Sigmoid", EngineSession.Unit.CPU, "too small"),
                new EngineSession.Placement("c", "Add", EngineSession.Unit.OPENCL, "inputs on the device")), "test");
        assertThat(o.marks().get("a").rgb()).isEqualTo(Overlays.OPENCL);
        assertThat(o.marks().get("b").rgb()).isEqualTo(Overlays.CPU);
        assertThat(o.marks().get("b").tooltip()).isEqualTo("too small");
        // the upload into a, and b's result moving to the device for c
        assertThat(names(o.highlighted())).containsExactlyInAnyOrder("input:x -> a", "b -> c");
        assertThat(o.note()).isEqualTo("2 of 3 nodes on the OpenCL device, 2 transfers");
    }

    @Test
    void sensitivityMatchesNodeOrWeightNames() throws Exception {
        ModelGraph g = ModelGraph.of(new OnnxModelReader().read(TestData.FASHION_CNN).graph());
        Overlay o = Overlays.sensitivity(g, Map.of("/conv2/Conv", 0.02, "fc1.weight", 0.01, "gone", 0.5), "1 - cosine", "t");
        assertThat(o.marks().keySet()).containsExactlyInAnyOrder("/conv2/Conv", "/fc1/Gemm");
        // the unmatched layer does not set the scale
        assertThat(o.marks().get("/conv2/Conv").rgb()).isEqualTo(Overlays.HEAT[0]);
        assertThat(o.note()).isEqualTo("2 layers, 1 - cosine; 1 not in this graph level");
    }

    @Test
    void compressionReadsQOperatorInt8AndFloatWeightsFromTheFile() throws Exception {
        ModelGraph cnn = ModelGraph.of(new OnnxModelReader().read(TestData.FASHION_CNN).graph());
        Overlay f = CompressionOverlay.of(cnn, null, "t");
        assertThat(f.marks().keySet()).containsExactlyInAnyOrder("/conv1/Conv", "/conv2/Conv", "/fc1/Gemm", "/fc2/Gemm");
        assertThat(f.marks().values()).allMatch(m -> m.rgb() == CompressionOverlay.Precision.FLOAT32.rgb);
        assertThat(f.marks().get("/fc2/Gemm").value()).isEqualTo("float32 · 2.5 KiB");
        java.nio.file.Path file = java.nio.file.Path.of("../shared/models/mobilenetv2-12-int8/mobilenetv2-12-int8.onnx");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.exists(file), "../shared/models is absent");
        ModelGraph q = ModelGraph.of(new OnnxModelReader().read(file).graph());
        Overlay o = CompressionOverlay.of(q, null, "t");
        Set<String> int8 = o.marks().entrySet().stream()
                .filter(e -> e.getValue().rgb() == CompressionOverlay.Precision.INT8.rgb).map(Map.Entry::getKey)
                .collect(Collectors.toSet());
        // exactly the nodes holding a (non-scalar) 8-bit tensor: QLinearConv, QLinearMatMul, the one QLinearAdd of a
        // constant; the other QLinearAdds and the pool carry only scalar scales and zero points
        Set<String> expected = q.nodes().stream().filter(n -> n.weights().stream().anyMatch(w -> w.tensor() != null
                && w.tensor().elementCount() > 1 && (w.tensor().dataType() == DataType.UINT8
                || w.tensor().dataType() == DataType.INT8))).map(GraphNode::id).collect(Collectors.toSet());
        assertThat(int8).isEqualTo(expected);
        assertThat(expected.stream().map(id -> q.node(id).orElseThrow().opType()).collect(Collectors.toSet()))
                .containsExactlyInAnyOrder("QLinearConv", "QLinearMatMul", "QLinearAdd");
        assertThat(o.legend()).extracting(Overlay.LegendEntry::label)
                .containsExactlyInAnyOrder("int8 (" + expected.size() + ")", "Q/DQ (fusion not checked) (3)");
    }

    @Test
    void zeroFractionReadsRawBytes() {
        Tensor t = Tensor.ofFloats("w", new long[] {4}, new float[] {0f, -0f, 1f, 2f});
        assertThat(CompressionOverlay.zeroFraction(t)).isEqualTo(0.5);
    }
}
