package org.polaris.workbench.engine.model;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The element type of every tensor of a graph that can be known without running it: graph inputs, initializers and
 * declared value infos, then the nodes in order by the ONNX type rules (a {@code Cast}'s {@code to}, int64 from
 * {@code Shape}/{@code ArgMax}/{@code NonZero}, bool from comparisons, and the first input's type for the many ops
 * that keep it). Tensors it cannot tell (outputs of {@code Loop}/{@code If} or of other domains' ops) are absent.
 * Passes that assume float activations (quantization points, calibration outputs) ask it first: detectors compute
 * anchors and shapes in int64 with the same {@code Add} and {@code Mul} ops.
 */
public final class ElementTypes {

    private static final Set<String> INT64_OUT = Set.of("Shape", "Size", "NonZero", "ArgMax", "ArgMin",
            "NonMaxSuppression");
    private static final Set<String> BOOL_OUT = Set.of("Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
            "Not", "And", "Or", "Xor", "IsNaN", "IsInf");
    private static final Set<String> UNKNOWN = Set.of("Loop", "If", "Scan", "SequenceAt", "SequenceConstruct",
            "SplitToSequence", "ConcatFromSequence", "Optional", "OptionalGetElement");

    private ElementTypes() {
    }

    /** Known element types by tensor name. */
    public static Map<String, DataType> infer(Graph g) {
        Map<String, DataType> t = new HashMap<>();
        for (ValueInfo v : g.inputs()) {
            put(t, v.name(), v.type().elementType());
        }
        for (Tensor init : g.initializers()) {
            put(t, init.name(), init.dataType());
        }
        for (ValueInfo v : g.valueInfos()) {
            put(t, v.name(), v.type().elementType());
        }
        for (ValueInfo v : g.outputs()) {
            put(t, v.name(), v.type().elementType());
        }
        for (Node n : g.nodes()) {
            if (!(n.domain().isEmpty() || n.domain().equals("ai.onnx")) || UNKNOWN.contains(n.opType())) {
                continue;
            }
            List<String> out = n.outputs();
            for (int k = 0; k < out.size(); k++) {
                if (!out.get(k).isEmpty() && !t.containsKey(out.get(k))) {
                    put(t, out.get(k), output(n, k, t));
                }
            }
        }
        return t;
    }

    private static DataType output(Node n, int k, Map<String, DataType> t) {
        String op = n.opType();
        if (INT64_OUT.contains(op)) {
            return DataType.INT64;
        }
        if (BOOL_OUT.contains(op)) {
            return DataType.BOOL;
        }
        return switch (op) {
            case "Cast" -> n.attribute("to").map(a -> DataType.fromCode((int) a.asLong())).orElse(null);
            case "CastLike" -> input(n, 1, t);
            case "Constant" -> constant(n);
            case "ConstantOfShape" -> n.attribute("value").map(a -> a.asTensor().dataType()).orElse(DataType.FLOAT);
            case "TopK" -> k == 1 ? DataType.INT64 : input(n, 0, t);
            case "Where" -> input(n, 1, t);
            case "OneHot" -> input(n, 2, t);
            case "QuantizeLinear" -> n.inputs().size() > 2 && !n.inputs().get(2).isEmpty() ? input(n, 2, t) : DataType.UINT8;
            case "DequantizeLinear" -> input(n, 1, t);
            case "DynamicQuantizeLinear" -> k == 1 ? DataType.FLOAT : DataType.UINT8;
            case "QLinearConv", "QLinearMatMul" -> input(n, 7, t);
            case "MatMulInteger", "ConvInteger" -> DataType.INT32;
            case "RandomNormal", "RandomUniform" -> n.attribute("dtype").map(a -> DataType.fromCode((int) a.asLong()))
                    .orElse(DataType.FLOAT);
            case "RandomNormalLike", "RandomUniformLike", "EyeLike" -> n.attribute("dtype")
                    .map(a -> DataType.fromCode((int) a.asLong())).orElse(input(n, 0, t));
            case "Multinomial" -> n.attribute("dtype").map(a -> DataType.fromCode((int) a.asLong())).orElse(DataType.INT32);
            default -> input(n, 0, t);
        };
    }

    private static DataType constant(Node n) {
        for (Attribute a : n.attributes()) {
            switch (a.name()) {
                case "value", "sparse_value" -> {
                    return a.type() == Attribute.Type.TENSOR ? a.asTensor().dataType() : null;
                }
                case "value_float", "value_floats" -> {
                    return DataType.FLOAT;
                }
                case "value_int", "value_ints" -> {
                    return DataType.INT64;
                }
                case "value_string", "value_strings" -> {
                    return DataType.STRING;
                }
                default -> {
                }
            }
        }
        return null;
    }

    private static DataType input(Node n, int i, Map<String, DataType> t) {
        return i < n.inputs().size() ? t.get(n.inputs().get(i)) : null;
    }

    private static void put(Map<String, DataType> t, String name, DataType type) {
        if (name != null && !name.isEmpty() && type != null && type != DataType.UNDEFINED) {
            t.put(name, type);
        }
    }
}
