package org.polaris.workbench.engine.data;

import org.polaris.workbench.engine.model.Tensor;

/** Model inputs for calibration and evaluation, read batch by batch so memory stays bounded. */
public interface Dataset {

    int size();

    /** Samples {@code [start, start + count)} as one float32 NCHW batch. */
    Tensor batch(int start, int count);

    /** Class label of sample {@code i}, or -1 when the data set has no labels. */
    int label(int i);

    default boolean hasLabels() {
        return size() > 0 && label(0) >= 0;
    }

    /** What the data is, for reports ("fashion-mnist t10k, 10000 labelled images"). */
    String description();

    /** The files this data set reads (outputs of a run must never replace them). */
    default java.util.List<java.nio.file.Path> files() {
        return java.util.List.of();
    }

    /** True for synthetic inputs: accuracy numbers from them mean nothing, and reports say so. */
    default boolean isSynthetic() {
        return false;
    }
}
