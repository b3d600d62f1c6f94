package org.polaris.workbench.engine.model;

import java.util.List;

/**
 * A computation graph: nodes in file order plus its declared values and constant tensors.
 *
 * @param encodedExtras encoded proto fields this IR does not model (sparse initializers, quantization
 *                      annotations), kept so that writing the graph back preserves them
 */
public record Graph(String name, List<Node> nodes, List<ValueInfo> inputs, List<ValueInfo> outputs,
                    List<ValueInfo> valueInfos, List<Tensor> initializers, String docString, byte[] encodedExtras) {

    public Graph {
        nodes = List.copyOf(nodes);
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        valueInfos = List.copyOf(valueInfos);
        initializers = List.copyOf(initializers);
        encodedExtras = encodedExtras == null ? new byte[0] : encodedExtras;
    }

    /** Graph inputs that are not initializers: what a caller must feed (older IR versions list weights as inputs). */
    public List<ValueInfo> feedInputs() {
        var init = initializers.stream().map(Tensor::name).collect(java.util.stream.Collectors.toSet());
        return inputs.stream().filter(v -> !init.contains(v.name())).toList();
    }
}
