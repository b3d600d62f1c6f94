package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.Node;

/** Typed attribute access with ONNX defaults. */
final class Attrs {

    private Attrs() {
    }

    static long i(Node n, String name, long dflt) {
        return n.attribute(name).map(Attribute::asLong).orElse(dflt);
    }

    static float f(Node n, String name, float dflt) {
        return n.attribute(name).map(Attribute::asFloat).orElse(dflt);
    }

    static String s(Node n, String name, String dflt) {
        return n.attribute(name).map(Attribute::asString).orElse(dflt);
    }

    static int[] ints(Node n, String name, int[] dflt) {
        return n.attribute(name).map(a -> java.util.Arrays.stream(a.asLongs()).mapToInt(Math::toIntExact).toArray())
                .orElse(dflt);
    }

    static int axis(long axis, int rank) {
        int a = (int) (axis < 0 ? axis + rank : axis);
        if (a < 0 || a >= Math.max(rank, 1)) {
            throw new IllegalArgumentException("axis " + axis + " out of range for rank " + rank);
        }
        return a;
    }
}
