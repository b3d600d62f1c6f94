package org.polaris.workbench.engine.data;

import java.util.Arrays;

/**
 * A user's fixed shape for one model input: {@code NAME=1x3x224x224}, or {@code 1x3x224x224} for the only input.
 *
 * @param input the input's name, or {@code null} for "the model's only input"
 * @param dims every dimension, each 1..{@link #MAX_DIM}
 */
public record ShapeSpec(String input, long[] dims) implements java.io.Serializable {

    /** Largest single dimension accepted. */
    public static final long MAX_DIM = 1L << 24;
    /** Largest element count of one input (1 Gi elements). */
    public static final long MAX_ELEMENTS = 1L << 30;
    public static final int MAX_RANK = 16;

    public ShapeSpec {
        dims = dims.clone();
        if (dims.length > MAX_RANK) {
            throw new IllegalArgumentException("a shape has at most " + MAX_RANK + " dimensions");
        }
        long n = 1;
        for (long d : dims) {
            if (d < 1 || d > MAX_DIM) {
                throw new IllegalArgumentException("shape dimensions must be 1.." + MAX_DIM + ", not " + d);
            }
            n *= d;
            if (n > MAX_ELEMENTS) {
                throw new IllegalArgumentException("a shape of over " + MAX_ELEMENTS + " elements");
            }
        }
    }

    /** Parses {@code NAME=D1xD2x...} or {@code D1xD2x...}; a scalar is written {@code NAME=} (no dims). */
    public static ShapeSpec parse(String text) {
        String t = text.trim();
        int eq = t.lastIndexOf('=');
        String name = eq >= 0 ? t.substring(0, eq) : null;
        String dimsText = eq >= 0 ? t.substring(eq + 1).trim() : t;
        if (name != null && name.isEmpty()) {
            throw new IllegalArgumentException("--shape " + text + ": name the input before '='");
        }
        if (dimsText.isEmpty()) {
            if (name == null) {
                throw new IllegalArgumentException("--shape needs dimensions like 1x3x224x224");
            }
            return new ShapeSpec(name, new long[0]);
        }
        String[] parts = dimsText.split("[xX*,]");
        long[] dims = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                dims[i] = Long.parseLong(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--shape " + text + ": dimensions are whole numbers like 1x3x224x224");
            }
        }
        return new ShapeSpec(name, dims);
    }

    @Override
    public long[] dims() {
        return dims.clone();
    }

    /** How it is written on the command line. */
    public String text() {
        StringBuilder b = new StringBuilder(input == null ? "" : input + "=");
        for (int i = 0; i < dims.length; i++) {
            b.append(i == 0 ? "" : "x").append(dims[i]);
        }
        return b.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ShapeSpec s && java.util.Objects.equals(input, s.input) && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return 31 * java.util.Objects.hashCode(input) + Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return text();
    }
}
