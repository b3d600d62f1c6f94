package org.polaris.workbench.ui.inference;

import org.polaris.workbench.engine.runtime.NodeTiming;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One op type's share of a profiled run. */
public record OpShare(String opType, double ms, double share, int nodes) {

    /** Time per op type, largest first; shares sum to 1. */
    static List<OpShare> of(List<NodeTiming> nodes) {
        long total = Math.max(1, nodes.stream().mapToLong(NodeTiming::nanos).sum());
        Map<String, long[]> byOp = new LinkedHashMap<>();
        nodes.forEach(n -> {
            long[] a = byOp.computeIfAbsent(n.opType(), k -> new long[2]);
            a[0] += n.nanos();
            a[1]++;
        });
        List<OpShare> shares = new ArrayList<>();
        byOp.forEach((op, a) -> shares.add(new OpShare(op, a[0] / 1e6, (double) a[0] / total, (int) a[1])));
        shares.sort(Comparator.comparingDouble(OpShare::ms).reversed());
        return List.copyOf(shares);
    }

    /** {@code samples} binned into {@code bins} equal bins between their minimum and maximum. */
    static long[] histogram(double[] samples, int bins) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double v : samples) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        long[] h = new long[bins];
        for (double v : samples) {
            int b = hi > lo ? (int) ((v - lo) / (hi - lo) * bins) : 0;
            h[Math.min(bins - 1, b)]++;
        }
        return h;
    }
}
