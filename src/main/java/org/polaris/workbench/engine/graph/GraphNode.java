package org.polaris.workbench.engine.graph;

import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.Weight;

import java.util.List;

/**
 * One box of the graph view: an operator (its weights folded in, as Netron draws them), or one of the graph's inputs
 * or outputs. A subgraph's value that comes from the enclosing graph is an {@link Kind#OUTER} input.
 *
 * @param id unique within its {@link ModelGraph}: the node's name, {@code op#index} for unnamed or repeated names,
 *           {@code input:NAME} / {@code output:NAME} / {@code outer:NAME} for the others
 * @param detail the key attributes in short (kernel, stride, groups, axis...), empty when there are none
 * @param inputs the tensors this node reads, weights included (empty strings for omitted optional inputs)
 * @param index the node's position in its graph's node list, -1 for inputs and outputs
 */
public record GraphNode(String id, Kind kind, String name, String opType, String domain, String detail,
                        List<String> inputs, List<String> outputs, List<FoldedWeight> weights,
                        List<Subgraph> subgraphs, int index) {

    public enum Kind { OPERATOR, INPUT, OUTPUT, OUTER }

    public GraphNode {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        weights = List.copyOf(weights);
        subgraphs = List.copyOf(subgraphs);
    }

    /**
     * A constant input folded into its consumer: an initializer, a {@code Constant} node's tensor, or an
     * {@code Identity} alias of either.
     *
     * @param role the input's name in the operator's schema where known ({@code W}, {@code B}), else {@code in2}
     * @param tensor the value, or null for a {@code Constant} written with a scalar or list attribute
     */
    public record FoldedWeight(String role, String name, Tensor tensor, Weight.Origin origin) {

        /** {@code float32[64x3x3x3]}, or {@code constant} when the value is not a tensor. */
        public String describe() {
            return tensor == null ? "constant" : tensor.dataType().displayName() + "[" + ModelGraph.dims(tensor.dims()) + "]";
        }

        public long bytes() {
            return tensor == null ? 0 : tensor.dataBytes();
        }
    }

    /** A graph held by one of the node's attributes ({@code then_branch}, {@code body}, ...). */
    public record Subgraph(String attribute, ModelGraph graph) {
    }

    /** The text lines of this node's box ({@link NodeLabels}). */
    public List<String> lines() {
        return NodeLabels.lines(this);
    }

    public boolean isOperator() {
        return kind == Kind.OPERATOR;
    }

    /** The op type qualified by its domain when that is not ONNX's own. */
    public String qualifiedOpType() {
        return domain == null || domain.isEmpty() || domain.equals("ai.onnx") ? opType : domain + ":" + opType;
    }
}
