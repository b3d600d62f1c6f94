package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.model.Node;

/** FLOP and byte counts for the per-node profile. */
final class Costs {

    private Costs() {
    }

    static long flops(Node n, Value[] in, Value[] out) {
        if (out.length == 0 || out[0] == null) {
            return 0;
        }
        long outSize = out[0].size();
        return switch (n.opType()) {
            case "Conv" -> 2L * outSize * (in[1].size() / in[1].shape[0]);
            case "Gemm" -> 2L * outSize * (Attrs.i(n, "transA", 0) == 1 ? in[0].shape[0] : in[0].shape[1]);
            case "MatMul" -> 2L * outSize * in[0].shape[in[0].rank() - 1];
            default -> outSize;
        };
    }

    static long bytes(Value[] in, Value[] out) {
        long b = 0;
        for (Value v : in) {
            if (v != null) b += (long) v.size() * Math.max(1, v.type().bits() / 8);
        }
        for (Value v : out) {
            if (v != null) b += (long) v.size() * Math.max(1, v.type().bits() / 8);
        }
        return b;
    }
}
