package org.polaris.workbench.engine.model;

import java.util.List;
import java.util.Set;

/**
 * A computation graph: nodes in file order plus its declared values and constant tensors.
 *
 * @param encodedExtras encoded proto fields this IR does not model (quantization annotations, metadata), kept so
 *                      that writing the graph back preserves them
 * @param sparseInitializers names of initializers stored (or to be stored) as ONNX {@code sparse_initializer}s: the
 *                           reader densifies them into {@link #initializers}, the writer stores them sparse again
 *                           when that is smaller ({@link SparseTensorCodec})
 */
public record Graph(String name, List<Node> nodes, List<ValueInfo> inputs, List<ValueInfo> outputs,
                    List<ValueInfo> valueInfos, List<Tensor> initializers, String docString, byte[] encodedExtras,
                    Set<String> sparseInitializers) {

    public Graph {
        nodes = List.copyOf(nodes);
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        valueInfos = List.copyOf(valueInfos);
        initializers = List.copyOf(initializers);
        encodedExtras = encodedExtras == null ? new byte[0] : encodedExtras;
        sparseInitializers = Set.copyOf(sparseInitializers);
    }

    /** A graph whose initializers are all stored dense. */
    public Graph(String name, List<Node> nodes, List<ValueInfo> inputs, List<ValueInfo> outputs,
                 List<ValueInfo> valueInfos, List<Tensor> initializers, String docString, byte[] encodedExtras) {
        this(name, nodes, inputs, outputs, valueInfos, initializers, docString, encodedExtras, Set.of());
    }

    /** Graph inputs that are not initializers: what a caller must feed (older IR versions list weights as inputs). */
    public List<ValueInfo> feedInputs() {
        var init = initializers.stream().map(Tensor::name).collect(java.util.stream.Collectors.toSet());
        return inputs.stream().filter(v -> !init.contains(v.name())).toList();
    }

    /** This graph with other initializers, stored sparse where named in {@code sparse}. */
    public Graph withInitializers(List<Tensor> newInitializers, Set<String> sparse) {
        return new Graph(name, nodes, inputs, outputs, valueInfos, newInitializers, docString, encodedExtras, sparse);
    }
}
