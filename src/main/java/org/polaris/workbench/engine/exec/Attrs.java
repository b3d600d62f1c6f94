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
        var a = n.attribute(name);
        if (a.isEmpty()) {
            return dflt;
        }
        long[] v = a.get().asLongs();
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) out[i] = Math.toIntExact(v[i]);
        return out;
    }

    static int axis(long axis, int rank) {
        int a = (int) (axis < 0 ? axis + rank : axis);
        if (a < 0 || a >= Math.max(rank, 1)) {
            throw new IllegalArgumentException("axis " + axis + " out of range for rank " + rank);
        }
        return a;
    }
}
