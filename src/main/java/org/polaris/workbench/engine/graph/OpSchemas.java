package org.polaris.workbench.engine.graph;

import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.Node;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.polaris.workbench.engine.model.DataType;

/** Input names of common operators (as the ONNX schemas name them) and the one-line summary a node box shows. */
final class OpSchemas {

    private static final Map<String, List<String>> INPUTS = Map.ofEntries(
            Map.entry("Conv", List.of("X", "W", "B")),
            Map.entry("ConvTranspose", List.of("X", "W", "B")),
            Map.entry("ConvInteger", List.of("x", "w", "x_zero_point", "w_zero_point")),
            Map.entry("QLinearConv", List.of("x", "x_scale", "x_zero_point", "w", "w_scale", "w_zero_point",
                    "y_scale", "y_zero_point", "B")),
            Map.entry("QLinearMatMul", List.of("a", "a_scale", "a_zero_point", "b", "b_scale", "b_zero_point",
                    "y_scale", "y_zero_point")),
            Map.entry("MatMulInteger", List.of("A", "B", "a_zero_point", "b_zero_point")),
            Map.entry("MatMulNBits", List.of("A", "B", "scales", "zero_points", "g_idx", "bias")),
            Map.entry("Gemm", List.of("A", "B", "C")),
            Map.entry("MatMul", List.of("A", "B")),
            Map.entry("BatchNormalization", List.of("X", "scale", "B", "input_mean", "input_var")),
            Map.entry("InstanceNormalization", List.of("input", "scale", "B")),
            Map.entry("LayerNormalization", List.of("X", "Scale", "B")),
            Map.entry("QuantizeLinear", List.of("x", "y_scale", "y_zero_point")),
            Map.entry("DequantizeLinear", List.of("x", "x_scale", "x_zero_point")),
            Map.entry("Reshape", List.of("data", "shape")),
            Map.entry("Gather", List.of("data", "indices")),
            Map.entry("Slice", List.of("data", "starts", "ends", "axes", "steps")),
            Map.entry("Pad", List.of("data", "pads", "constant_value", "axes")),
            Map.entry("Resize", List.of("X", "roi", "scales", "sizes")),
            Map.entry("Clip", List.of("input", "min", "max")),
            Map.entry("PRelu", List.of("X", "slope")),
            Map.entry("Unsqueeze", List.of("data", "axes")),
            Map.entry("Squeeze", List.of("data", "axes")),
            Map.entry("Expand", List.of("input", "shape")),
            Map.entry("Tile", List.of("input", "repeats")),
            Map.entry("LSTM", List.of("X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P")),
            Map.entry("GRU", List.of("X", "W", "R", "B", "sequence_lens", "initial_h")),
            Map.entry("RNN", List.of("X", "W", "R", "B", "sequence_lens", "initial_h")),
            Map.entry("Add", List.of("A", "B")), Map.entry("Sub", List.of("A", "B")),
            Map.entry("Mul", List.of("A", "B")), Map.entry("Div", List.of("A", "B")),
            Map.entry("Pow", List.of("X", "Y")), Map.entry("Where", List.of("condition", "X", "Y")),
            Map.entry("If", List.of("cond")), Map.entry("Loop", List.of("M", "cond")));

    private OpSchemas() {
    }

    static List<String> inputNames(String op) {
        return INPUTS.getOrDefault(op, List.of());
    }

    /** Kernel, stride, dilation and groups of convolutions and pools; the axis, mode or target of a few others. */
    static String detail(Node n, List<GraphNode.FoldedWeight> weights) {
        List<String> parts = new ArrayList<>();
        switch (n.opType()) {
            case "Conv", "ConvTranspose", "QLinearConv", "ConvInteger" -> {
                long[] k = ints(n, "kernel_shape");
                if (k == null) {
                    String w = n.opType().equals("QLinearConv") ? input(n, 3) : input(n, 1);
                    k = weights.stream().filter(x -> x.name().equals(w) && x.tensor() != null && x.tensor().rank() > 2)
                            .findFirst().map(x -> java.util.Arrays.copyOfRange(x.tensor().dims(), 2, x.tensor().rank()))
                            .orElse(null);
                }
                if (k != null) parts.add(ModelGraph.dims(k));
                window(n, parts);
                long g = n.attribute("group").map(Attribute::asLong).orElse(1L);
                if (g > 1) parts.add("g=" + g);
            }
            case "MaxPool", "AveragePool", "LpPool" -> {
                long[] k = ints(n, "kernel_shape");
                if (k != null) parts.add(ModelGraph.dims(k));
                window(n, parts);
            }
            case "Gemm" -> {
                if (n.attribute("transA").map(Attribute::asLong).orElse(0L) == 1) parts.add("transA");
                if (n.attribute("transB").map(Attribute::asLong).orElse(0L) == 1) parts.add("transB");
            }
            case "Transpose" -> {
                long[] p = ints(n, "perm");
                if (p != null) parts.add("perm " + java.util.Arrays.toString(p).replace(" ", ""));
            }
            case "Cast" -> n.attribute("to").map(a -> DataType.fromCode((int) a.asLong()))
                    .ifPresent(t -> parts.add("to " + t.displayName()));
            case "Resize", "Upsample" -> n.attribute("mode").map(Attribute::asString).ifPresent(parts::add);
            case "LeakyRelu", "Elu", "Celu" -> n.attribute("alpha").map(a -> "α=" + trim(a.asFloat())).ifPresent(parts::add);
            case "LSTM", "GRU", "RNN" -> {
                n.attribute("hidden_size").map(a -> "hidden " + a.asLong()).ifPresent(parts::add);
                n.attribute("direction").map(Attribute::asString).filter(d -> !d.equals("forward")).ifPresent(parts::add);
            }
            default -> {
                n.attribute("axis").filter(a -> a.type() == Attribute.Type.INT).map(a -> "axis " + a.asLong()).ifPresent(parts::add);
                long[] axes = ints(n, "axes");
                if (axes != null) parts.add("axes " + java.util.Arrays.toString(axes).replace(" ", ""));
            }
        }
        return String.join("  ", parts);
    }

    private static void window(Node n, List<String> parts) {
        long[] s = ints(n, "strides");
        if (s != null && java.util.Arrays.stream(s).anyMatch(v -> v != 1)) parts.add("/" + ModelGraph.dims(s));
        long[] d = ints(n, "dilations");
        if (d != null && java.util.Arrays.stream(d).anyMatch(v -> v != 1)) parts.add("d" + ModelGraph.dims(d));
    }

    private static long[] ints(Node n, String name) {
        return n.attribute(name).filter(a -> a.type() == Attribute.Type.INTS).map(Attribute::asLongs).orElse(null);
    }

    private static String input(Node n, int i) {
        return i < n.inputs().size() ? n.inputs().get(i) : "";
    }

    private static String trim(float f) {
        String s = Float.toString(f);
        return s.endsWith(".0") ? s.substring(0, s.length() - 2) : s;
    }
}
