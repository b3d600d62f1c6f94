package org.polaris.workbench.engine.inspect;

import org.polaris.workbench.engine.model.ModelSummary;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.onnx.RuntimeView;

import java.util.List;

/**
 * Everything the Models pane and {@code inspect} show about one model.
 *
 * @param differences where ONNX Runtime's view of inputs and outputs differs from what the file declares
 */
public record Inspection(OnnxModel model, ModelSummary summary, RuntimeView runtime, List<String> differences) {

    public Inspection {
        differences = List.copyOf(differences);
    }
}
