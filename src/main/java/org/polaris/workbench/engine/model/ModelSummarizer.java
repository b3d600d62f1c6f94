package org.polaris.workbench.engine.model;

import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ProgressSink;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Computes a {@link ModelSummary}; weight statistics are the slow part and report progress per weight. */
public final class ModelSummarizer {

    public ModelSummary summarize(OnnxModel model, ProgressSink progress, CancellationToken cancel) {
        Graph g = model.graph();
        Map<String, Integer> counts = new HashMap<>();
        int nodes = countOps(g, counts);
        List<Weight> weights = Weights.of(g);
        List<WeightStats> stats = new ArrayList<>(weights.size());
        long params = 0;
        long bytes = 0;
        Map<DataType, Long> byType = new EnumMap<>(DataType.class);
        long totalBytes = Math.max(1, weights.stream().mapToLong(w -> w.tensor().dataBytes()).sum());
        long doneBytes = 0;
        for (Weight w : weights) {
            cancel.throwIfCancelled();
            WeightStats s = WeightStats.of(w);
            stats.add(s);
            params += s.count();
            bytes += s.bytes();
            byType.merge(s.dtype(), s.bytes(), Long::sum);
            doneBytes += s.bytes();
            progress.progress((double) doneBytes / totalBytes, "weight statistics: " + w.name());
        }
        String producer = (model.producerName() + " " + model.producerVersion()).trim();
        return new ModelSummary(model.source(), model.fileBytes(), model.irVersion(), model.opsets(), producer,
                g.feedInputs(), g.outputs(), sortedByCount(counts), nodes, params, bytes,
                Collections.unmodifiableMap(byType), stats, model.metadata());
    }

    private static int countOps(Graph g, Map<String, Integer> counts) {
        int n = 0;
        for (Node node : g.nodes()) {
            counts.merge(node.qualifiedOpType(), 1, Integer::sum);
            n++;
            for (Attribute a : node.attributes()) {
                for (Graph sub : a.subgraphs()) {
                    n += countOps(sub, counts);
                }
            }
        }
        return n;
    }

    private static Map<String, Integer> sortedByCount(Map<String, Integer> counts) {
        Map<String, Integer> out = new LinkedHashMap<>();
        counts.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .forEach(e -> out.put(e.getKey(), e.getValue()));
        return Collections.unmodifiableMap(out);
    }
}
