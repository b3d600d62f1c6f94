package org.polaris.workbench.engine.onnx;

import java.util.List;

/** ONNX Runtime's view of a loaded model: proof that it loads, and the signature it will actually accept. */
public record RuntimeView(String runtimeVersion, List<RuntimeValue> inputs, List<RuntimeValue> outputs,
                          String notLoadedBecause) {

    /** A model the runtime loaded. */
    public RuntimeView(String runtimeVersion, List<RuntimeValue> inputs, List<RuntimeValue> outputs) {
        this(runtimeVersion, inputs, outputs, null);
    }

    /** A model deliberately not loaded into the runtime, and why. */
    public static RuntimeView notLoaded(String why) {
        return new RuntimeView("", List.of(), List.of(), why);
    }

    public boolean loaded() {
        return notLoadedBecause == null;
    }

    public RuntimeView {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }
}
