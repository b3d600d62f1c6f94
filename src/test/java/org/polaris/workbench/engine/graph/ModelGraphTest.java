package org.polaris.workbench.engine.graph;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Dim;
import org.polaris.workbench.engine.model.Graph;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;
import org.polaris.workbench.engine.model.ValueType;
import org.polaris.workbench.engine.model.Weight;
import org.polaris.workbench.testutil.TestData;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

class ModelGraphTest {

    private static Set<String> ids(ModelGraph g, GraphNode.Kind kind) {
        return g.nodes().stream().filter(n -> n.kind() == kind).map(GraphNode::id).collect(Collectors.toSet());
    }

    private static Set<String> edges(ModelGraph g) {
        return g.edges().stream().map(e -> e.from() + " -> " + e.to()).collect(Collectors.toSet());
    }

    @Test
    void fashionCnnFoldsItsInitializersIntoTheirConsumers() throws Exception {
        ModelGraph g = ModelGraph.of(new OnnxModelReader().read(TestData.FASHION_CNN).graph());
        assertThat(ids(g, GraphNode.Kind.OPERATOR)).containsExactlyInAnyOrder("/conv1/Conv", "/Relu", "/MaxPool",
                "/conv2/Conv", "/Relu_1", "/MaxPool_1", "/Flatten", "/fc1/Gemm", "/Relu_2", "/fc2/Gemm");
        assertThat(ids(g, GraphNode.Kind.INPUT)).containsExactly("input:image");
        assertThat(ids(g, GraphNode.Kind.OUTPUT)).containsExactly("output:logits");
        GraphNode conv1 = g.node("/conv1/Conv").orElseThrow();
        assertThat(conv1.weights()).extracting(w -> w.role() + " " + w.describe())
                .containsExactly("W float32[16x1x3x3]", "B float32[16]");
        assertThat(conv1.detail()).isEqualTo("3x3");
        assertThat(g.node("/MaxPool").orElseThrow().detail()).isEqualTo("2x2  /2x2");
        assertThat(g.node("/fc1/Gemm").orElseThrow().weights()).extracting(GraphNode.FoldedWeight::role).containsExactly("B", "C");
        // a chain: one data edge into each operator, none from a weight
        assertThat(edges(g)).containsExactlyInAnyOrder("input:image -> /conv1/Conv", "/conv1/Conv -> /Relu",
                "/Relu -> /MaxPool", "/MaxPool -> /conv2/Conv", "/conv2/Conv -> /Relu_1", "/Relu_1 -> /MaxPool_1",
                "/MaxPool_1 -> /Flatten", "/Flatten -> /fc1/Gemm", "/fc1/Gemm -> /Relu_2", "/Relu_2 -> /fc2/Gemm",
                "/fc2/Gemm -> output:logits");
        assertThat(g.edges().get(0).shape()).isEqualTo("float32[batch,1,28,28]");
    }

    @Test
    void constantNodesAndTheirIdentityAliasesFoldLikeInitializers() {
        Tensor w = Tensor.ofFloats("w", new long[] {4, 2, 1, 1}, new float[8]);
        ValueInfo x = new ValueInfo("x", ValueType.tensor(DataType.FLOAT, List.of(Dim.of(1), Dim.of(2), Dim.of(3), Dim.of(3))), "");
        ValueInfo y = new ValueInfo("y", ValueType.tensor(DataType.FLOAT, null), "");
        List<Node> nodes = List.of(
                new Node("const", "Constant", "", List.of(), List.of("w"), List.of(Attribute.ofTensor("value", w)), ""),
                new Node("alias", "Identity", "", List.of("w"), List.of("w2"), List.of(), ""),
                new Node("conv", "Conv", "", List.of("x", "w2"), List.of("c"), List.of(), ""),
                new Node("", "Relu", "", List.of("c"), List.of("y"), List.of(), ""));
        ModelGraph g = ModelGraph.of(new Graph("g", nodes, List.of(x), List.of(y), List.of(), List.of(), "", null),
                Map.of("c", "1x4x3x3"));
        assertThat(ids(g, GraphNode.Kind.OPERATOR)).containsExactlyInAnyOrder("conv", "Relu#3");
        GraphNode conv = g.node("conv").orElseThrow();
        assertThat(conv.weights()).singleElement().satisfies(f -> {
            assertThat(f.role()).isEqualTo("W");
            assertThat(f.name()).isEqualTo("w2");
            assertThat(f.origin()).isEqualTo(Weight.Origin.CONSTANT_NODE);
            assertThat(f.tensor().dims()).containsExactly(4, 2, 1, 1);
        });
        assertThat(conv.detail()).isEqualTo("1x1"); // the kernel read from the folded weight
        assertThat(edges(g)).containsExactlyInAnyOrder("input:x -> conv", "conv -> Relu#3", "Relu#3 -> output:y");
        // a shape from a run fills what the file does not declare
        assertThat(g.edges()).filteredOn(e -> e.tensor().equals("c")).singleElement()
                .extracting(ModelGraph.Edge::shape).isEqualTo("1x4x3x3");
    }

    @Test
    void loopBodyIsANestedLevelWithItsOwnInputsAndConstants() throws Exception {
        ModelGraph g = ModelGraph.of(new OnnxModelReader().read(TestData.conformanceModels("node").stream()
                .filter(p -> p.getParent().getFileName().toString().equals("test_loop11")).findFirst().orElseThrow()).graph());
        GraphNode loop = g.node("Loop#0").orElseThrow();
        assertThat(loop.subgraphs()).extracting(GraphNode.Subgraph::attribute).containsExactly("body");
        ModelGraph body = loop.subgraphs().get(0).graph();
        assertThat(body.path()).containsExactly("Loop#0", "body");
        assertThat(ids(body, GraphNode.Kind.INPUT)).containsExactlyInAnyOrder("input:iter_count", "input:cond_in", "input:y_in");
        assertThat(ids(body, GraphNode.Kind.OPERATOR)).containsExactlyInAnyOrder("Identity#0", "Add#3", "Unsqueeze#4",
                "Unsqueeze#5", "Slice#6", "Add#7", "Identity#8");
        assertThat(body.node("Slice#6").orElseThrow().weights()).extracting(GraphNode.FoldedWeight::name).containsExactly("x");
        assertThat(g.operatorCount()).isEqualTo(8);
    }

    @Test
    void ifBranchesAreTwoSubgraphsAndOuterValuesBecomeOuterInputs() throws Exception {
        ModelGraph g = ModelGraph.of(new OnnxModelReader().read(TestData.CONFORMANCE.resolve("node/test_if/model.onnx")).graph());
        GraphNode branch = g.nodes().stream().filter(n -> n.opType().equals("If")).findFirst().orElseThrow();
        assertThat(branch.subgraphs()).extracting(GraphNode.Subgraph::attribute).containsExactlyInAnyOrder("then_branch", "else_branch");
        assertThat(NodeLabels.lines(branch)).contains("▸ 2 subgraphs");
        // Each branch returns a Constant: folded into the output, so the branch is its output node alone.
        for (GraphNode.Subgraph s : branch.subgraphs()) {
            assertThat(s.graph().nodes()).extracting(GraphNode::kind).contains(GraphNode.Kind.OUTPUT);
        }
        // an edge from a value the level does not produce comes from an outer node
        Graph sub = new Graph("body", List.of(new Node("n", "Relu", "", List.of("outer_x"), List.of("o"), List.of(), "")),
                List.of(), List.of(new ValueInfo("o", ValueType.tensor(DataType.FLOAT, null), "")), List.of(), List.of(), "", null);
        ModelGraph s = ModelGraph.of(sub);
        assertThat(ids(s, GraphNode.Kind.OUTER)).containsExactly("outer:outer_x");
        assertThat(edges(s)).containsExactlyInAnyOrder("outer:outer_x -> n", "n -> output:o");
    }
}
