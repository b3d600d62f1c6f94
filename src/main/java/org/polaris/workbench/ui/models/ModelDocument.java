package org.polaris.workbench.ui.models;

import org.polaris.workbench.engine.inspect.Inspection;
import org.polaris.workbench.engine.model.ModelSummary;
import org.polaris.workbench.engine.model.ValueInfo;
import org.polaris.workbench.engine.onnx.RuntimeValue;
import org.polaris.workbench.engine.util.Sizes;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/** One open model in the Models pane, with the rows its tables show. */
public final class ModelDocument {

    private final Path path;
    private final Inspection inspection;
    private final List<IoRow> ioRows;
    private final List<OpRow> opRows;

    public ModelDocument(Path path, Inspection inspection) {
        this.path = path;
        this.inspection = inspection;
        this.ioRows = buildIoRows(inspection);
        int total = Math.max(1, inspection.summary().nodeCount());
        this.opRows = inspection.summary().ops().entrySet().stream()
                .map(e -> new OpRow(e.getKey(), e.getValue(), (double) e.getValue() / total)).toList();
    }

    private static List<IoRow> buildIoRows(Inspection in) {
        List<IoRow> rows = new ArrayList<>();
        addRows(rows, "input", in.summary().inputs(), in.runtime().inputs());
        addRows(rows, "output", in.summary().outputs(), in.runtime().outputs());
        return List.copyOf(rows);
    }

    private static void addRows(List<IoRow> rows, String kind, List<ValueInfo> declared, List<RuntimeValue> runtime) {
        Map<String, RuntimeValue> byName = runtime.stream()
                .collect(Collectors.toMap(RuntimeValue::name, Function.identity(), (a, b) -> a));
        for (ValueInfo v : declared) {
            RuntimeValue r = byName.get(v.name());
            rows.add(new IoRow(kind, v.name(), v.type().description(), r == null ? "(not listed)" : r.description()));
        }
    }

    public Path path() {
        return path;
    }

    public Inspection inspection() {
        return inspection;
    }

    public ModelSummary summary() {
        return inspection.summary();
    }

    public List<IoRow> ioRows() {
        return ioRows;
    }

    public List<OpRow> opRows() {
        return opRows;
    }

    public String title() {
        return path.getFileName().toString();
    }

    /** Label/value pairs for the summary card. */
    public List<String[]> summaryCard() {
        ModelSummary s = summary();
        String opsets = s.opsets().entrySet().stream()
                .map(e -> (e.getKey().isEmpty() ? "ai.onnx" : e.getKey()) + " " + e.getValue())
                .collect(Collectors.joining(", "));
        String byType = s.weightBytesByType().entrySet().stream()
                .map(e -> e.getKey() + " " + Sizes.bytes(e.getValue())).collect(Collectors.joining(", "));
        String runtime = !inspection.runtime().loaded() ? "not loaded: " + inspection.runtime().notLoadedBecause()
                : runtimeName(inspection.runtime().runtimeVersion()) + ": loads"
                + (inspection.differences().isEmpty() ? ", signature matches the file"
                : ", " + inspection.differences().size() + " difference(s) from the file");
        return List.of(
                new String[] {"File", path.toString()},
                new String[] {"Size", Sizes.bytes(s.fileBytes())},
                new String[] {"Format", s.opsets().isEmpty() ? "TorchScript (parameters shown; ops are not listed)"
                        : "ONNX IR " + s.irVersion() + " · " + opsets},
                new String[] {"Producer", s.producer().isEmpty() ? "(not recorded)" : s.producer()},
                new String[] {"Nodes", Sizes.count(s.nodeCount()) + " in " + s.ops().size() + " op types"},
                new String[] {"Parameters", Sizes.count(s.parameters()) + " in " + s.weights().size() + " weights"},
                new String[] {"Weights", Sizes.bytes(s.weightBytes()) + (byType.isEmpty() ? "" : " (" + byType + ")")},
                new String[] {"Runtime", runtime});
    }

    /** "ONNX Runtime 1.29.0", or the TorchScript runtime's own name ("PyTorch (DJL)"). */
    private static String runtimeName(String version) {
        return version.startsWith("PyTorch") ? version : "ONNX Runtime " + version;
    }

    @Override
    public String toString() {
        return title();
    }
}
