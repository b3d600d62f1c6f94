package org.polaris.workbench.engine.inspect;

import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.ModelLoadException;
import org.polaris.workbench.engine.model.ModelSummarizer;
import org.polaris.workbench.engine.model.ModelSummary;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.ValueInfo;
import org.polaris.workbench.engine.onnx.OrtSessions;
import org.polaris.workbench.engine.onnx.RuntimeValue;
import org.polaris.workbench.engine.onnx.RuntimeView;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Reads a model, confirms that ONNX Runtime loads it, and summarizes it. */
public final class ModelInspector {

    private final OnnxModelReader reader;
    private final ModelSummarizer summarizer = new ModelSummarizer();

    public ModelInspector() {
        this(new OnnxModelReader());
    }

    public ModelInspector(OnnxModelReader reader) {
        this.reader = reader;
    }

    /** Graphs with more nodes are read and summarized but not loaded into ONNX Runtime. */
    static final int ORT_CHECK_NODES = Integer.getInteger("polaris.ortCheckNodes", 100_000);

    public Inspection inspect(Path file, ProgressSink progress, CancellationToken cancel) throws ModelLoadException {
        if (file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".pt")) {
            return TorchScriptInspector.inspect(file, progress, cancel);
        }
        progress.progress(0.02, "reading " + file.getFileName());
        OnnxModel model = reader.read(file);
        cancel.throwIfCancelled();
        int nodes = model.graph().nodes().size();
        if (nodes > ORT_CHECK_NODES) {
            // ONNX Runtime's graph loader grows faster than linearly (measured by bench-limits, docs/benchmarks.md)
            ModelSummary summary = summarizer.summarize(model, (f, m) -> progress.progress(0.2 + 0.8 * f, m), cancel);
            RuntimeView skipped = RuntimeView.notLoaded(nodes + " nodes is over " + ORT_CHECK_NODES
                    + ", where ONNX Runtime's loader takes minutes (-Dpolaris.ortCheckNodes=N raises it)");
            return new Inspection(model, summary, skipped, List.of());
        }
        progress.progress(0.2, "loading in ONNX Runtime");
        RuntimeView runtime = OrtSessions.describe(file);
        cancel.throwIfCancelled();
        ModelSummary summary = summarizer.summarize(model, (f, m) -> progress.progress(0.4 + 0.6 * f, m), cancel);
        progress.progress(1.0, "done");
        return new Inspection(model, summary, runtime, compare(summary, runtime));
    }

    /** Lists where the declared signature and the runtime's differ, in words a user can act on. */
    static List<String> compare(ModelSummary summary, RuntimeView runtime) {
        List<String> diffs = new ArrayList<>();
        compareSide("input", summary.inputs(), runtime.inputs(), diffs);
        compareSide("output", summary.outputs(), runtime.outputs(), diffs);
        return diffs;
    }

    private static void compareSide(String side, List<ValueInfo> declared, List<RuntimeValue> actual, List<String> diffs) {
        Map<String, RuntimeValue> byName = actual.stream()
                .collect(Collectors.toMap(RuntimeValue::name, Function.identity(), (a, b) -> a));
        for (ValueInfo v : declared) {
            RuntimeValue r = byName.remove(v.name());
            if (r == null) {
                diffs.add(side + " '" + v.name() + "' is declared in the file but ONNX Runtime does not list it");
                continue;
            }
            String declaredDesc = v.type().description();
            if (v.type().isTensor() && !declaredDesc.equals(r.description())) {
                diffs.add(side + " '" + v.name() + "': file declares " + declaredDesc + ", ONNX Runtime reports "
                        + r.description());
            }
        }
        byName.keySet().forEach(n -> diffs.add(side + " '" + n + "' is listed by ONNX Runtime but not declared in the file"));
    }
}
