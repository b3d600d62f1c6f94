package org.polaris.workbench.cli;

import org.polaris.workbench.engine.inspect.Inspection;
import org.polaris.workbench.engine.model.Dim;
import org.polaris.workbench.engine.model.ModelSummary;
import org.polaris.workbench.engine.model.ValueInfo;
import org.polaris.workbench.engine.model.WeightStats;
import org.polaris.workbench.engine.onnx.RuntimeValue;
import org.polaris.workbench.engine.util.Sizes;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Renders an {@link Inspection} as the {@code inspect} command's text or JSON. */
final class InspectReport {

    private InspectReport() {
    }

    static Map<String, Object> toJson(Inspection in, boolean withWeights) {
        ModelSummary s = in.summary();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("file", String.valueOf(s.file()));
        m.put("format", s.opsets().isEmpty() ? "torchscript" : "onnx");
        m.put("fileBytes", s.fileBytes());
        m.put("irVersion", s.irVersion());
        Map<String, Long> opsets = new LinkedHashMap<>();
        s.opsets().forEach((domain, version) -> opsets.put(domain.isEmpty() ? "ai.onnx" : domain, version));
        m.put("opsets", opsets);
        m.put("producer", s.producer());
        m.put("inputs", s.inputs().stream().map(InspectReport::value).toList());
        m.put("outputs", s.outputs().stream().map(InspectReport::value).toList());
        m.put("ops", s.ops());
        m.put("nodes", s.nodeCount());
        m.put("parameters", s.parameters());
        m.put("weightBytes", s.weightBytes());
        Map<String, Long> byType = new LinkedHashMap<>();
        s.weightBytesByType().forEach((k, v) -> byType.put(k.displayName(), v));
        m.put("weightBytesByType", byType);
        m.put("metadata", s.metadata());
        Map<String, Object> rt = new LinkedHashMap<>();
        rt.put("version", in.runtime().runtimeVersion());
        rt.put("inputs", in.runtime().inputs().stream().map(InspectReport::value).toList());
        rt.put("outputs", in.runtime().outputs().stream().map(InspectReport::value).toList());
        if (!in.runtime().loaded()) {
            rt.put("notLoaded", in.runtime().notLoadedBecause());
        }
        rt.put("differences", in.differences());
        m.put("onnxRuntime", rt);
        if (withWeights) {
            m.put("weights", s.weights().stream().map(InspectReport::weight).toList());
        }
        return m;
    }

    private static Map<String, Object> value(ValueInfo v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", v.name());
        m.put("dtype", v.type().isTensor() && v.type().elementType() != null
                ? v.type().elementType().displayName() : v.type().description());
        m.put("shape", shape(v.type().shape()));
        return m;
    }

    private static Map<String, Object> value(RuntimeValue v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", v.name());
        m.put("dtype", v.elementType() != null ? v.elementType().displayName() : v.description());
        m.put("shape", shape(v.shape()));
        return m;
    }

    private static List<Object> shape(List<Dim> dims) {
        if (dims == null) {
            return null;
        }
        List<Object> out = new ArrayList<>(dims.size());
        dims.forEach(d -> out.add(d.toJsonValue()));
        return out;
    }

    private static Map<String, Object> weight(WeightStats w) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", w.name());
        m.put("dtype", w.dtype().displayName());
        m.put("shape", w.shape());
        m.put("count", w.count());
        m.put("min", finite(w.min()));
        m.put("max", finite(w.max()));
        m.put("mean", finite(w.mean()));
        m.put("std", finite(w.std()));
        m.put("zeroFraction", finite(w.zeroFraction()));
        m.put("origin", w.origin().name().toLowerCase());
        if (!w.aliases().isEmpty()) {
            m.put("aliases", w.aliases());
        }
        return m;
    }

    /** JSON has no NaN: a statistic that does not exist is null. */
    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    static String toText(Inspection in, boolean withWeights) {
        ModelSummary s = in.summary();
        StringBuilder b = new StringBuilder();
        line(b, "File", s.file() + " (" + Sizes.bytes(s.fileBytes()) + ")");
        line(b, "Format", s.opsets().isEmpty() ? "TorchScript (parameters only; ops are not listed)"
                : "ONNX IR " + s.irVersion() + ", opsets " + s.opsets().entrySet().stream()
                .map(e -> (e.getKey().isEmpty() ? "ai.onnx" : e.getKey()) + " " + e.getValue())
                .collect(Collectors.joining(", ")));
        line(b, "Producer", s.producer().isEmpty() ? "(not recorded)" : s.producer());
        b.append("Inputs:\n");
        s.inputs().forEach(v -> b.append("  ").append(v.name()).append("  ").append(v.type()).append('\n'));
        b.append("Outputs:\n");
        s.outputs().forEach(v -> b.append("  ").append(v.name()).append("  ").append(v.type()).append('\n'));
        b.append("Operators (").append(s.nodeCount()).append(" nodes): ")
                .append(s.ops().entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                        .collect(Collectors.joining(", "))).append('\n');
        line(b, "Parameters", Sizes.count(s.parameters()) + " in " + s.weights().size() + " weights, "
                + Sizes.bytes(s.weightBytes()) + " (" + s.weightBytesByType().entrySet().stream()
                .map(e -> e.getKey() + " " + Sizes.bytes(e.getValue())).collect(Collectors.joining(", ")) + ")");
        line(b, "Runtime", !in.runtime().loaded() ? "not loaded into ONNX Runtime: " + in.runtime().notLoadedBecause()
                : (s.opsets().isEmpty() ? "" : "ONNX Runtime ") + in.runtime().runtimeVersion() + " loads the model; "
                + (in.differences().isEmpty() ? "its inputs and outputs match the file" : "it differs from the file:"));
        in.differences().forEach(d -> b.append("  ").append(d).append('\n'));
        if (withWeights) {
            b.append(String.format("%nWeights:%n%-40s %-8s %-16s %12s %11s %11s %11s %11s %6s%n",
                    "name", "dtype", "shape", "count", "min", "max", "mean", "std", "zeros"));
            for (WeightStats w : s.weights()) {
                b.append(String.format("%-40s %-8s %-16s %12s %11s %11s %11s %11s %5.1f%%%n", w.name(), w.dtype(),
                        Arrays.toString(w.shape()), Sizes.count(w.count()), Sizes.number(w.min()),
                        Sizes.number(w.max()), Sizes.number(w.mean()), Sizes.number(w.std()),
                        Double.isNaN(w.zeroFraction()) ? 0 : 100 * w.zeroFraction()));
            }
        }
        return b.toString();
    }

    private static void line(StringBuilder b, String label, String value) {
        b.append(String.format("%-13s %s%n", label + ":", value));
    }
}
