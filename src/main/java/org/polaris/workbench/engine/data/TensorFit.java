package org.polaris.workbench.engine.data;

import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Dim;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.TensorEncoder;
import org.polaris.workbench.engine.model.ValueInfo;

import java.util.Arrays;
import java.util.List;

/**
 * Makes a data tensor fit the model input it feeds: named for it, converted to its element type, and reshaped
 * when only the layout of the same values differs (IDX {@code [n,1,28,28]} into an MLP's {@code [n,784]}, a sample
 * saved without its batch dimension). Anything else is an error naming the input and both shapes.
 */
final class TensorFit {

    private TensorFit() {
    }

    static Tensor fit(Tensor t, ValueInfo in, int count) {
        Tensor x = t.withName(in.name());
        DataType want = in.type().elementType();
        if (want != null && want != x.dataType() && TensorEncoder.supports(want) && TensorEncoder.supports(x.dataType())) {
            x = TensorEncoder.cast(x, want);
        }
        List<Dim> shape = in.type().shape();
        if (shape == null || matches(x.dims(), shape)) {
            return x;
        }
        long[] target = target(shape, x.elementCount(), count);
        if (target == null) {
            throw new DataFileException("input '" + in.name() + "' takes " + Dim.format(shape) + " but the data gives "
                    + Arrays.toString(x.dims()));
        }
        return new Tensor(x.name(), x.dataType(), target, x.raw(), x.strings(), null, "");
    }

    static boolean matches(long[] dims, List<Dim> shape) {
        if (dims.length != shape.size()) {
            return false;
        }
        for (int i = 0; i < dims.length; i++) {
            if (shape.get(i).isFixed() && shape.get(i).value() != dims[i]) {
                return false;
            }
        }
        return true;
    }

    /** {@code [count, fixed dims...]} when every dim after the first is fixed and the element count agrees. */
    private static long[] target(List<Dim> shape, long elements, int count) {
        if (shape.isEmpty()) {
            return elements == 1 ? new long[0] : null;
        }
        long[] dims = new long[shape.size()];
        long per = 1;
        for (int i = 1; i < dims.length; i++) {
            if (!shape.get(i).isFixed()) {
                return null;
            }
            dims[i] = shape.get(i).value();
            per *= dims[i];
        }
        Dim first = shape.get(0);
        dims[0] = first.isFixed() ? first.value() : count;
        return dims[0] * per == elements ? dims : null;
    }
}
