package org.polaris.workbench.engine.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One node's cost in one run.
 *
 * @param flops multiply-adds counted as 2 for Conv/Gemm/MatMul, one per output element otherwise
 * @param bytes bytes of the node's inputs and outputs
 */
public record NodeTiming(String node, String opType, long nanos, long flops, long bytes) {

    /**
     * Per-node median over several profiled runs, in the order nodes first appear. A node missing from some runs
     * (it cannot be for one graph, but traces can drop events) takes the median of the runs it appears in.
     */
    public static List<NodeTiming> median(List<List<NodeTiming>> runs) {
        if (runs.isEmpty()) {
            throw new IllegalArgumentException("no profiled runs");
        }
        Map<String, List<NodeTiming>> byNode = new LinkedHashMap<>();
        for (List<NodeTiming> run : runs) {
            for (NodeTiming t : run) {
                byNode.computeIfAbsent(t.node(), k -> new ArrayList<>()).add(t);
            }
        }
        List<NodeTiming> out = new ArrayList<>(byNode.size());
        for (List<NodeTiming> samples : byNode.values()) {
            long[] ns = samples.stream().mapToLong(NodeTiming::nanos).toArray();
            Arrays.sort(ns);
            int n = ns.length;
            long med = n % 2 == 1 ? ns[n / 2] : (ns[n / 2 - 1] + ns[n / 2]) / 2;
            NodeTiming first = samples.get(0);
            out.add(new NodeTiming(first.node(), first.opType(), med, first.flops(), first.bytes()));
        }
        return out;
    }
}
