package org.polaris.workbench.engine.train;

import java.util.List;

/**
 * One differentiable step of a trainable graph. {@link #forward} keeps what {@link #backward} needs; backward adds
 * this step's parameter gradients and returns the gradient of its input. Shapes exclude the batch dimension.
 */
interface Layer {

    /** The ONNX node this step came from (for messages). */
    String node();

    int[] outShape(int[] in);

    float[] forward(float[] x, int batch, boolean training);

    float[] backward(float[] dy, int batch);

    /** Called before each epoch: steps that draw random numbers reseed from the epoch, so a resumed run repeats. */
    default void startEpoch(int epoch) {
    }

    default List<Param> params() {
        return List.of();
    }
}
