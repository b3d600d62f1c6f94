package org.polaris.workbench.engine.model;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What a model holds, as read from its file.
 *
 * @param inputs values a caller must feed (graph inputs that are not initializers)
 * @param ops node count per op type, over the main graph and all subgraphs, most frequent first
 * @param parameters elements in all weights (initializers and {@code Constant} node tensors)
 * @param weightBytesByType bytes of weight data per element type
 * @param weights per-weight statistics, in file order
 */
public record ModelSummary(Path file, long fileBytes, long irVersion, Map<String, Long> opsets, String producer,
                           List<ValueInfo> inputs, List<ValueInfo> outputs, Map<String, Integer> ops, int nodeCount,
                           long parameters, long weightBytes, Map<DataType, Long> weightBytesByType,
                           List<WeightStats> weights, Map<String, String> metadata) {

    public ModelSummary {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        weights = List.copyOf(weights);
    }
}
