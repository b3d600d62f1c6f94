package org.polaris.workbench.engine.inspect;

import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.Graph;
import org.polaris.workbench.engine.model.ModelLoadException;
import org.polaris.workbench.engine.model.ModelSummarizer;
import org.polaris.workbench.engine.model.ModelSummary;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;
import org.polaris.workbench.engine.onnx.RuntimeValue;
import org.polaris.workbench.engine.onnx.RuntimeView;
import org.polaris.workbench.engine.torch.TorchRuntime;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A TorchScript file in the Models pane: its named parameters become the weights (with the same statistics as
 * ONNX initializers), loadability is confirmed by PyTorch, and inputs/outputs come from the ONNX twin beside it
 * when there is one (TorchScript declares no shapes).
 */
final class TorchScriptInspector {

    private TorchScriptInspector() {
    }

    static Inspection inspect(Path file, ProgressSink progress, CancellationToken cancel) throws ModelLoadException {
        progress.progress(0.05, "loading " + file.getFileName() + " in PyTorch");
        List<Tensor> params = new ArrayList<>();
        try (TorchRuntime rt = TorchRuntime.open(file, 1)) {
            params.addAll(rt.parameters().values());
        }
        cancel.throwIfCancelled();
        Path twin = file.resolveSibling(file.getFileName().toString().replaceFirst("(?i)\\.pt$", ".onnx"));
        List<ValueInfo> inputs = List.of();
        List<ValueInfo> outputs = List.of();
        if (Files.isRegularFile(twin)) {
            OnnxModel t = new OnnxModelReader().read(twin);
            inputs = t.graph().feedInputs();
            outputs = t.graph().outputs();
        }
        Graph g = new Graph("torchscript", List.of(), inputs, outputs, List.of(), params, "", null);
        long size;
        try {
            size = Files.size(file);
        } catch (java.io.IOException e) {
            size = 0;
        }
        OnnxModel model = new OnnxModel(0, Map.of(), "TorchScript", "", "", 0, "", Map.of(), g, null, file, size);
        ModelSummary summary = new ModelSummarizer().summarize(model, (f, m) -> progress.progress(0.3 + 0.7 * f, m), cancel);
        RuntimeView view = new RuntimeView("PyTorch (DJL)", values(inputs), values(outputs));
        return new Inspection(model, summary, view, List.of());
    }

    private static List<RuntimeValue> values(List<ValueInfo> vs) {
        return vs.stream().map(v -> new RuntimeValue(v.name(), v.type().elementType(), v.type().shape(),
                v.type().description())).toList();
    }
}
