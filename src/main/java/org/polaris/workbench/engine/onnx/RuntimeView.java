package org.polaris.workbench.engine.onnx;

import java.util.List;

/** ONNX Runtime's view of a loaded model: proof that it loads, and the signature it will actually accept. */
public record RuntimeView(String runtimeVersion, List<RuntimeValue> inputs, List<RuntimeValue> outputs) {

    public RuntimeView {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }
}
