package org.polaris.workbench.engine.onnx;

import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Dim;

import java.util.List;

/**
 * One input or output as ONNX Runtime sees it after loading the model.
 *
 * @param elementType element type for tensors, {@code null} for sequences and maps
 * @param shape dims for tensors (symbolic names kept), {@code null} otherwise
 * @param description readable type, e.g. {@code float32[N,10]}
 */
public record RuntimeValue(String name, DataType elementType, List<Dim> shape, String description) {
}
