package org.polaris.workbench.engine.model;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * A node attribute. The value's Java type follows {@link Type}: FLOAT {@code Float}, INT {@code Long}, STRING
 * {@code byte[]}, TENSOR {@link Tensor}, GRAPH {@link Graph}, FLOATS {@code float[]}, INTS {@code long[]}, STRINGS
 * {@code List<byte[]>}, TENSORS {@code List<Tensor>}, GRAPHS {@code List<Graph>}; kinds this IR does not model
 * (sparse tensors, type protos) keep their encoded {@code AttributeProto} as {@code byte[]} under OPAQUE.
 *
 * @param refAttrName for attributes inside functions that refer to a caller's attribute, else empty
 */
public record Attribute(String name, Type type, Object value, String refAttrName, String docString) {

    public enum Type { FLOAT, INT, STRING, TENSOR, GRAPH, FLOATS, INTS, STRINGS, TENSORS, GRAPHS, OPAQUE }

    public static Attribute ofInt(String name, long v) {
        return new Attribute(name, Type.INT, v, "", "");
    }

    public static Attribute ofFloat(String name, float v) {
        return new Attribute(name, Type.FLOAT, v, "", "");
    }

    public static Attribute ofTensor(String name, Tensor t) {
        return new Attribute(name, Type.TENSOR, t, "", "");
    }

    public long asLong() {
        return (Long) checked(Type.INT);
    }

    public float asFloat() {
        return (Float) checked(Type.FLOAT);
    }

    public String asString() {
        return new String((byte[]) checked(Type.STRING), StandardCharsets.UTF_8);
    }

    public Tensor asTensor() {
        return (Tensor) checked(Type.TENSOR);
    }

    public Graph asGraph() {
        return (Graph) checked(Type.GRAPH);
    }

    public long[] asLongs() {
        return ((long[]) checked(Type.INTS)).clone();
    }

    @SuppressWarnings("unchecked")
    public List<Graph> subgraphs() {
        if (type == Type.GRAPH) {
            return List.of((Graph) value);
        }
        return type == Type.GRAPHS ? (List<Graph>) value : List.of();
    }

    private Object checked(Type expected) {
        if (type != expected) {
            throw new IllegalStateException("attribute " + name + " is " + type + ", not " + expected);
        }
        return value;
    }

    /** Short readable form for tables and tooltips. */
    public String displayValue() {
        return switch (type) {
            case FLOAT, INT -> String.valueOf(value);
            case STRING -> asString();
            case TENSOR -> "tensor " + ((Tensor) value).dataType() + ((Tensor) value).shapeString();
            case GRAPH -> "graph " + ((Graph) value).name();
            case FLOATS -> Arrays.toString((float[]) value);
            case INTS -> Arrays.toString((long[]) value);
            case STRINGS, TENSORS, GRAPHS -> type.name().toLowerCase() + "(" + ((List<?>) value).size() + ")";
            case OPAQUE -> "(not shown)";
        };
    }
}
