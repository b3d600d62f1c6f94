package org.polaris.workbench.engine.inference;

import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Tensor;

import java.util.Arrays;

/**
 * One model output as a user reads it: name, element type, shape, min/max/mean over all values and the first
 * {@link #FIRST} values (NaN statistics for non-numeric outputs).
 *
 * @param classLike {@code [1, classes]} float scores: top-k with labels makes sense
 */
public record OutputSummary(String name, String dtype, long[] shape, double min, double max, double mean,
                            double[] values, boolean classLike) {

    /** How many leading values a summary keeps. */
    public static final int FIRST = 16;

    public static OutputSummary of(Tensor t) {
        long[] dims = t.dims();
        if (!t.dataType().isNumeric() || t.dataType() == DataType.STRING) {
            return new OutputSummary(t.name(), t.dataType().displayName(), dims, Double.NaN, Double.NaN, Double.NaN,
                    new double[0], false);
        }
        double[] v = t.toDoubles();
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double sum = 0;
        for (double x : v) {
            min = Math.min(min, x);
            max = Math.max(max, x);
            sum += x;
        }
        // [1, classes] only: a rank-1 float output is as often a detector's per-box scores as a class vector
        boolean classLike = t.dataType() == DataType.FLOAT && dims.length == 2 && dims[0] == 1 && dims[1] > 1;
        return new OutputSummary(t.name(), t.dataType().displayName(), dims, v.length == 0 ? Double.NaN : min,
                v.length == 0 ? Double.NaN : max, v.length == 0 ? Double.NaN : sum / v.length,
                Arrays.copyOf(v, Math.min(FIRST, v.length)), classLike);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public double[] values() {
        return values.clone();
    }
}
