package org.polaris.workbench.engine.data;

import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What a model is fed for calibration, evaluation and verification: samples as named tensors, one per model
 * input, read batch by batch so memory stays bounded.
 */
public interface InputData {

    int size();

    /**
     * Samples {@code [start, start + count)} as feeds for a model with these inputs, each tensor named, typed and
     * shaped for its input. Unchecked {@link DataFileException} when a file turns out unreadable.
     */
    Map<String, Tensor> feeds(int start, int count, List<ValueInfo> inputs);

    /** Class label of sample {@code i}, or -1 when the data has no labels. */
    int label(int i);

    default boolean hasLabels() {
        return size() > 0 && label(0) >= 0;
    }

    /** What the data is, for reports ("fashion-mnist t10k, 10000 labelled images"). */
    String description();

    /** The files this data reads (outputs of a run must never replace them). */
    default List<Path> files() {
        return List.of();
    }

    /** True when any input is synthetic: accuracy numbers from it mean nothing, and reports say so. */
    default boolean isSynthetic() {
        return false;
    }

    /** Most samples one {@link #feeds} call may hold: 1 when an input has no batch dimension to stack them on. */
    default int maxBatch() {
        return Integer.MAX_VALUE;
    }
}
