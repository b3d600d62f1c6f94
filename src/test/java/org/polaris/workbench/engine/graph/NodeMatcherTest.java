package org.polaris.workbench.engine.graph;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Graph;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.ValueInfo;
import org.polaris.workbench.engine.model.ValueType;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class NodeMatcherTest {

    /** A chain of the given ops, named with the prefix (empty: unnamed). */
    private static ModelGraph chain(String prefix, String... ops) {
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < ops.length; i++) {
            nodes.add(new Node(prefix.isEmpty() ? "" : prefix + i, ops[i], "", List.of(i == 0 ? "x" : "t" + (i - 1)),
                    List.of(i == ops.length - 1 ? "y" : "t" + i), List.of(), ""));
        }
        ValueType f = ValueType.tensor(DataType.FLOAT, null);
        return ModelGraph.of(new Graph("g", nodes, List.of(new ValueInfo("x", f, "")), List.of(new ValueInfo("y", f, "")),
                List.of(), List.of(), "", null));
    }

    private static List<String> describe(List<NodeMatcher.Pair> pairs) {
        return pairs.stream().map(p -> (p.a() == null ? "-" : p.a().id()) + "|" + (p.b() == null ? "-" : p.b().id()) + "|" + p.how())
                .toList();
    }

    @Test
    void foldedBatchNormIsRemovedAndTheRestPairsByStructure() {
        var a = chain("a", "Conv", "BatchNormalization", "Relu", "MaxPool");
        var b = chain("b", "Conv", "Relu", "MaxPool");
        assertThat(describe(NodeMatcher.match(a, b))).containsExactly("a0|b0|STRUCTURE", "a1|-|REMOVED", "a2|b1|STRUCTURE",
                "a3|b2|STRUCTURE");
    }

    @Test
    void quantizedOperatorsPairWithTheirFloatOriginalsAndQdqNodesAreAdded() {
        var a = chain("a", "Conv", "Relu", "Gemm");
        var b = chain("", "QuantizeLinear", "QLinearConv", "DequantizeLinear", "Relu", "QuantizeLinear", "DequantizeLinear", "Gemm");
        assertThat(describe(NodeMatcher.match(a, b))).containsExactly("a0|QLinearConv#1|STRUCTURE", "a1|Relu#3|STRUCTURE",
                "a2|Gemm#6|STRUCTURE", "-|QuantizeLinear#0|ADDED", "-|DequantizeLinear#2|ADDED", "-|QuantizeLinear#4|ADDED",
                "-|DequantizeLinear#5|ADDED");
    }

    @Test
    void namesWinOverPositions() {
        var a = chain("n", "Relu", "Relu", "Relu");
        var b = chain("m", "Relu", "Relu");
        // no shared names: the first two pair in order, the third is removed
        assertThat(describe(NodeMatcher.match(a, b))).containsExactly("n0|m0|STRUCTURE", "n1|m1|STRUCTURE", "n2|-|REMOVED");
        var c = chain("n", "Relu", "Relu");
        assertThat(describe(NodeMatcher.match(a, c))).containsExactly("n0|n0|NAME", "n1|n1|NAME", "n2|-|REMOVED");
    }
}
