package org.polaris.workbench.engine.data;

import org.polaris.workbench.engine.model.Tensor;

import java.util.Random;

/** Seeded Gaussian inputs of a fixed shape: the last resort when no real data is given. Reports flag it. */
public final class RandomDataset implements Dataset {

    private final long[] sampleShape;
    private final int size;
    private final long seed;

    /** @param sampleShape shape of one sample without the batch dimension */
    public RandomDataset(long[] sampleShape, int size, long seed) {
        this.sampleShape = sampleShape.clone();
        this.size = size;
        this.seed = seed;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Tensor batch(int start, int count) {
        int per = Math.toIntExact(Tensor.elementCount(sampleShape));
        float[] out = new float[count * per];
        for (int b = 0; b < count; b++) {
            Random r = new Random(seed * 1_000_003L + start + b);
            for (int i = 0; i < per; i++) {
                out[b * per + i] = (float) r.nextGaussian();
            }
        }
        long[] dims = new long[sampleShape.length + 1];
        dims[0] = count;
        System.arraycopy(sampleShape, 0, dims, 1, sampleShape.length);
        return Tensor.ofFloats("batch", dims, out);
    }

    @Override
    public int label(int i) {
        return -1;
    }

    @Override
    public String description() {
        return size + " random Gaussian inputs (synthetic: no accuracy meaning)";
    }

    @Override
    public boolean isSynthetic() {
        return true;
    }
}
