package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.model.Node;

/** One ONNX operator implemented by the engine. Inputs omitted in the graph arrive as {@code null}. */
@FunctionalInterface
interface Kernel {
    Value[] run(Node node, Value[] inputs, int opset);
}
