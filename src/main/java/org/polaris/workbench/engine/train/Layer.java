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

    /**
     * Told once that nobody reads this step's input gradient (it reads the model's input): {@link #backward} may then
     * skip computing it and return null. The first convolution's col2im is a large share of a small CNN's step.
     */
    default void inputGradientNotNeeded() {
    }

    default List<Param> params() {
        return List.of();
    }
}
