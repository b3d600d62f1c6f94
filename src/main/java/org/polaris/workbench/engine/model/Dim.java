package org.polaris.workbench.engine.model;

/**
 * One dimension of a tensor shape: a fixed size, a named symbolic size ({@code batch_size}) or unknown.
 *
 * @param value the size when fixed, otherwise -1
 * @param param the symbol name when symbolic, otherwise {@code null}
 */
public record Dim(long value, String param) {

    private static final Dim UNKNOWN = new Dim(-1, null);

    public static Dim of(long value) {
        return new Dim(value, null);
    }

    public static Dim symbolic(String name) {
        return new Dim(-1, name);
    }

    public static Dim unknown() {
        return UNKNOWN;
    }

    public boolean isFixed() {
        return param == null && value >= 0;
    }

    public boolean isSymbolic() {
        return param != null;
    }

    /** The JSON view used by the CLI: a number, the symbol's name, or {@code null} when unknown. */
    public Object toJsonValue() {
        if (isSymbolic()) {
            return param;
        }
        return isFixed() ? (Object) value : null;
    }

    @Override
    public String toString() {
        if (isSymbolic()) {
            return param;
        }
        return isFixed() ? Long.toString(value) : "?";
    }

    /** A shape as users read it: {@code [batch,3,?,?]}; {@code [?]}-ranked unknown shapes as "unknown". */
    public static String format(java.util.List<Dim> shape) {
        if (shape == null) {
            return "an unknown shape";
        }
        return "[" + String.join(",", shape.stream().map(Dim::toString).toList()) + "]";
    }
}
