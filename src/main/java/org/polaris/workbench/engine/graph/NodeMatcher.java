package org.polaris.workbench.engine.graph;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pairs the operators of two versions of a model: first by name, then, for what is left (renamed nodes, rewritten
 * graphs), by structure: the longest common subsequence of their op types in graph order, with quantized operators
 * counted as their float originals (QLinearConv as Conv, MatMulNBits as MatMul). Quantize/dequantize nodes never pair
 * structurally: a static-INT8 model's Q/DQ nodes come out as added, a folded BatchNormalization as removed.
 */
final class NodeMatcher {

    /** How two nodes were paired, or why one has no partner. */
    enum How { NAME, STRUCTURE, ADDED, REMOVED }

    record Pair(GraphNode a, GraphNode b, How how) {
    }

    /** Beyond this many cells the structural pass matches op types in order instead of by LCS. */
    static final long MAX_LCS_CELLS = 4_000_000;

    private static final Map<String, String> CANONICAL = Map.ofEntries(
            Map.entry("QLinearConv", "Conv"), Map.entry("ConvInteger", "Conv"),
            Map.entry("QLinearMatMul", "MatMul"), Map.entry("MatMulInteger", "MatMul"), Map.entry("MatMulNBits", "MatMul"),
            Map.entry("QGemm", "Gemm"), Map.entry("QLinearAdd", "Add"), Map.entry("QLinearMul", "Mul"),
            Map.entry("QLinearGlobalAveragePool", "GlobalAveragePool"), Map.entry("QLinearAveragePool", "AveragePool"),
            Map.entry("QLinearConcat", "Concat"), Map.entry("QLinearSigmoid", "Sigmoid"),
            Map.entry("QLinearLeakyRelu", "LeakyRelu"), Map.entry("QLinearSoftmax", "Softmax"));

    private static final Set<String> QUANTIZERS = Set.of("QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear");

    private NodeMatcher() {
    }

    static String canonical(String op) {
        return CANONICAL.getOrDefault(op, op);
    }

    static boolean isQuantizer(String op) {
        return QUANTIZERS.contains(op);
    }

    /** Every operator of both graphs exactly once: pairs in A's order, then B's additions. */
    static List<Pair> match(ModelGraph ga, ModelGraph gb) {
        List<GraphNode> a = ga.nodes().stream().filter(GraphNode::isOperator).toList();
        List<GraphNode> b = gb.nodes().stream().filter(GraphNode::isOperator).toList();
        Map<String, GraphNode> bByName = new HashMap<>();
        for (GraphNode n : b) {
            if (!n.name().isEmpty()) bByName.putIfAbsent(n.name(), n);
        }
        Map<GraphNode, Pair> pairOfA = new LinkedHashMap<>();
        Set<GraphNode> usedB = new HashSet<>();
        for (GraphNode n : a) {
            GraphNode m = n.name().isEmpty() ? null : bByName.get(n.name());
            if (m != null && usedB.add(m)) pairOfA.put(n, new Pair(n, m, How.NAME));
        }
        List<GraphNode> restA = a.stream().filter(n -> !pairOfA.containsKey(n) && !isQuantizer(n.opType())).toList();
        List<GraphNode> restB = b.stream().filter(n -> !usedB.contains(n) && !isQuantizer(n.opType())).toList();
        for (int[] ij : structural(restA, restB)) {
            GraphNode x = restA.get(ij[0]);
            GraphNode y = restB.get(ij[1]);
            pairOfA.put(x, new Pair(x, y, How.STRUCTURE));
            usedB.add(y);
        }
        List<Pair> out = new ArrayList<>(a.size() + b.size());
        for (GraphNode n : a) {
            out.add(pairOfA.getOrDefault(n, new Pair(n, null, How.REMOVED)));
        }
        for (GraphNode n : b) {
            if (!usedB.contains(n)) out.add(new Pair(null, n, How.ADDED));
        }
        return out;
    }

    /** Index pairs of the longest common subsequence of canonical op types (or an in-order match when too large). */
    private static List<int[]> structural(List<GraphNode> a, List<GraphNode> b) {
        int n = a.size();
        int m = b.size();
        List<int[]> out = new ArrayList<>();
        if (n == 0 || m == 0) return out;
        String[] x = a.stream().map(g -> canonical(g.opType())).toArray(String[]::new);
        String[] y = b.stream().map(g -> canonical(g.opType())).toArray(String[]::new);
        if ((long) n * m > MAX_LCS_CELLS) {
            // i-th remaining node of an op type in A pairs with the i-th of that type in B
            Map<String, List<Integer>> byType = new HashMap<>();
            for (int j = 0; j < m; j++) byType.computeIfAbsent(y[j], k -> new ArrayList<>()).add(j);
            Map<String, Integer> next = new HashMap<>();
            for (int i = 0; i < n; i++) {
                List<Integer> js = byType.get(x[i]);
                int k = next.getOrDefault(x[i], 0);
                if (js != null && k < js.size()) {
                    out.add(new int[] {i, js.get(k)});
                    next.put(x[i], k + 1);
                }
            }
            return out;
        }
        int[][] len = new int[n + 1][m + 1];
        for (int i = n - 1; i >= 0; i--) {
            for (int j = m - 1; j >= 0; j--) {
                len[i][j] = x[i].equals(y[j]) ? len[i + 1][j + 1] + 1 : Math.max(len[i + 1][j], len[i][j + 1]);
            }
        }
        for (int i = 0, j = 0; i < n && j < m; ) {
            if (x[i].equals(y[j])) {
                out.add(new int[] {i, j});
                i++;
                j++;
            } else if (len[i + 1][j] >= len[i][j + 1]) {
                i++;
            } else {
                j++;
            }
        }
        return out;
    }
}
