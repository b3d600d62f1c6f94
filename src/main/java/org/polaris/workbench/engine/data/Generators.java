package org.polaris.workbench.engine.data;

import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.TensorEncoder;

import java.util.Random;

/** Tensors made from a generator source (zeros, a value, seeded random values) in any input element type. */
final class Generators {

    private Generators() {
    }

    /** @param start index of the first sample: random values differ per sample, reproducibly */
    static Tensor make(String name, DataType type, long[] dims, InputSource source, int start) throws DataException {
        if (!TensorEncoder.supports(type)) {
            throw new DataException("input '" + name + "' is " + type + ": only numeric and bool inputs can be generated");
        }
        long count = Tensor.elementCount(dims);
        if (count > ShapeSpec.MAX_ELEMENTS) {
            throw new DataException("input '" + name + "' would hold " + count + " elements, over the limit of "
                    + ShapeSpec.MAX_ELEMENTS);
        }
        double[] v = new double[(int) count];
        if (source instanceof InputSource.Value c) {
            java.util.Arrays.fill(v, c.value());
        } else if (source instanceof InputSource.Random r) {
            int batch = dims.length == 0 ? 1 : (int) Math.max(1, dims[0]);
            int per = batch == 0 ? 0 : v.length / batch;
            boolean floating = type == DataType.FLOAT || type == DataType.DOUBLE || type == DataType.FLOAT16;
            for (int b = 0; b < batch; b++) {
                Random rnd = new Random(r.seed() * 1_000_003L + start + b);
                for (int i = 0; i < per; i++) {
                    v[b * per + i] = floating ? rnd.nextGaussian() : type == DataType.BOOL ? rnd.nextInt(2) : rnd.nextInt(10);
                }
            }
        }
        return TensorEncoder.encode(name, type, dims, v);
    }
}
