package org.polaris.workbench.engine.model;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The declared type of a graph value. Tensors carry an element type and, when declared, a shape; other kinds
 * (sequences, maps, optionals) keep a readable description and their original encoding so that writing the model
 * back loses nothing.
 *
 * @param kind what sort of value this is
 * @param elementType element type of a tensor (or sparse tensor), else {@code null}
 * @param shape dims of a tensor when declared, {@code null} when the shape is not declared at all
 * @param description readable form, e.g. {@code float32[batch,3,224,224]} or {@code seq(float32[?])}
 * @param encoded the original {@code TypeProto} bytes for kinds this IR does not model, else {@code null}
 */
public record ValueType(Kind kind, DataType elementType, List<Dim> shape, String description, byte[] encoded) {

    public enum Kind { TENSOR, SPARSE_TENSOR, SEQUENCE, MAP, OPTIONAL, OPAQUE, UNDEFINED }

    public ValueType {
        shape = shape == null ? null : List.copyOf(shape);
    }

    public static ValueType tensor(DataType elementType, List<Dim> shape) {
        return new ValueType(Kind.TENSOR, elementType, shape, describe(elementType, shape), null);
    }

    static String describe(DataType elementType, List<Dim> shape) {
        String dims = shape == null ? "" : shape.stream().map(Dim::toString).collect(Collectors.joining(",", "[", "]"));
        return (elementType == null ? "?" : elementType.displayName()) + dims;
    }

    public boolean isTensor() {
        return kind == Kind.TENSOR;
    }

    @Override
    public String toString() {
        return description;
    }
}
