package org.polaris.workbench.engine.model;

import java.util.List;

/**
 * Statistics of one weight tensor over its finite values. For non-numeric types the numbers are NaN and the
 * histogram is empty.
 *
 * @param zeroFraction share of elements exactly equal to zero
 * @param nonFinite count of NaN and infinite elements, left out of the other numbers
 * @param histogram counts of finite values in equal-width bins spanning [min, max]
 */
public record WeightStats(String name, DataType dtype, long[] shape, long count, double min, double max, double mean,
                          double std, double zeroFraction, long nonFinite, long[] histogram, long bytes,
                          Weight.Origin origin, List<String> aliases) {

    public static final int BINS = 64;

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public long[] histogram() {
        return histogram.clone();
    }

    public static WeightStats of(Weight w) {
        Tensor t = w.tensor();
        long count = t.elementCount();
        if (!t.dataType().isNumeric() || count == 0) {
            return new WeightStats(t.name(), t.dataType(), t.dims(), count, Double.NaN, Double.NaN, Double.NaN,
                    Double.NaN, Double.NaN, 0, new long[0], t.dataBytes(), w.origin(), w.aliases());
        }
        // Three streaming passes over fixed-size chunks: a huge weight never needs a double per element.
        Chunks chunks = new Chunks(t);
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double sum = 0;
        long finite = 0;
        long zeros = 0;
        for (int c = 0; c < chunks.count(); c++) {
            double[] v = chunks.load(c);
            for (int i = 0, n = chunks.length(c); i < n; i++) {
                double x = v[i];
                if (x == 0) {
                    zeros++;
                }
                if (Double.isFinite(x)) {
                    finite++;
                    sum += x;
                    min = Math.min(min, x);
                    max = Math.max(max, x);
                }
            }
        }
        double mean = finite > 0 ? sum / finite : Double.NaN;
        // Second pass for the variance: one-pass sum-of-squares loses all precision when |mean| >> std.
        double sq = 0;
        for (int c = 0; c < chunks.count(); c++) {
            double[] v = chunks.load(c);
            for (int i = 0, n = chunks.length(c); i < n; i++) {
                if (Double.isFinite(v[i])) {
                    sq += (v[i] - mean) * (v[i] - mean);
                }
            }
        }
        double std = finite > 0 ? Math.sqrt(sq / finite) : Double.NaN;
        long[] hist = new long[finite > 0 ? BINS : 0];
        if (finite > 0) {
            double width = (max - min) / BINS;
            for (int c = 0; c < chunks.count(); c++) {
                double[] v = chunks.load(c);
                for (int i = 0, n = chunks.length(c); i < n; i++) {
                    if (Double.isFinite(v[i])) {
                        int bin = width > 0 ? (int) ((v[i] - min) / width) : 0;
                        hist[Math.min(bin, BINS - 1)]++;
                    }
                }
            }
        } else {
            min = Double.NaN;
            max = Double.NaN;
        }
        return new WeightStats(t.name(), t.dataType(), t.dims(), count, min, max, mean, std, (double) zeros / count,
                count - finite, hist, t.dataBytes(), w.origin(), w.aliases());
    }

    /** A tensor's elements decoded chunk by chunk into one reused buffer. */
    private static final class Chunks {
        private static final int SIZE = 1 << 14;
        private final Tensor tensor;
        private final int total;
        private final double[] buffer;

        Chunks(Tensor tensor) {
            this.tensor = tensor;
            this.total = Math.toIntExact(tensor.elementCount());
            this.buffer = new double[Math.min(SIZE, total)];
        }

        int count() {
            return (total + SIZE - 1) / SIZE;
        }

        int length(int chunk) {
            return Math.min(SIZE, total - chunk * SIZE);
        }

        double[] load(int chunk) {
            TensorDecoder.decode(tensor.dataType(), tensor.raw(), chunk * SIZE, length(chunk), buffer);
            return buffer;
        }
    }
}
