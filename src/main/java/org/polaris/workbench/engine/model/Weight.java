package org.polaris.workbench.engine.model;

import java.util.List;

/**
 * A constant tensor the graph computes with, wherever the file keeps it.
 *
 * @param origin where the tensor lives in the file
 * @param aliases names that {@code Identity} nodes give the same tensor
 */
public record Weight(Tensor tensor, Origin origin, List<String> aliases) {

    public enum Origin { INITIALIZER, CONSTANT_NODE }

    public Weight {
        aliases = List.copyOf(aliases);
    }

    public String name() {
        return tensor.name();
    }
}
