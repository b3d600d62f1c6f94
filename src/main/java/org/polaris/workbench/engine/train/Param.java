package org.polaris.workbench.engine.train;

import java.util.Arrays;

/**
 * A trainable tensor: an initializer's values, its gradient, an optional mask (a masked weight is zero and gets no
 * gradient), and the optimizer's state.
 */
public final class Param {

    final String name;
    final int[] shape;
    final float[] value;
    final float[] grad;
    boolean[] mask;
    float[] m1;
    float[] m2;
    /** The axis of the layer's output units (0 for Conv and Gemm with transB, 1 for MatMul and plain Gemm). */
    int outAxis;
    /** False for statistics the model keeps but the optimizer leaves alone (BatchNormalization's running mean). */
    boolean trainable = true;

    Param(String name, int[] shape, float[] value) {
        this.name = name;
        this.shape = shape.clone();
        this.value = value;
        this.grad = new float[value.length];
    }

    public String name() {
        return name;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int size() {
        return value.length;
    }

    /** A copy of the current values. */
    public float[] values() {
        return value.clone();
    }

    /** Fixes which weights stay (true) and zeroes the others; null removes the mask. */
    public void setMask(boolean[] keep) {
        if (keep != null && keep.length != value.length) {
            throw new IllegalArgumentException(name + ": mask of " + keep.length + " for " + value.length + " weights");
        }
        mask = keep == null ? null : keep.clone();
        applyMask();
    }

    void applyMask() {
        if (mask == null) return;
        for (int i = 0; i < value.length; i++) {
            if (!mask[i]) value[i] = 0;
        }
    }

    /** Zeroes the gradient of masked weights (they must not move). */
    void maskGrad() {
        if (mask == null) return;
        for (int i = 0; i < grad.length; i++) {
            if (!mask[i]) grad[i] = 0;
        }
    }

    /** Share of weights that are exactly zero. */
    public double sparsity() {
        int z = 0;
        for (float v : value) if (v == 0) z++;
        return value.length == 0 ? 0 : (double) z / value.length;
    }

    void zeroGrad() {
        Arrays.fill(grad, 0);
    }
}
