package org.polaris.workbench.engine.quant;

/**
 * What calibration saw of one activation tensor: its range (first pass) and, when the method needs it, a
 * 2048-bin histogram of signed values over that range and one of absolute values over [0, max |x|] (second pass).
 * Memory is fixed per tensor, however many samples stream through.
 */
public final class ActivationStats {

    public static final int BINS = 2048;

    private double min = Double.POSITIVE_INFINITY;
    private double max = Double.NEGATIVE_INFINITY;
    private long count;
    private long[] signed;
    private long[] abs;

    public void observeRange(float[] values) {
        double lo = min;
        double hi = max;
        for (float v : values) {
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
        min = lo;
        max = hi;
        count += values.length;
    }

    public void observeHistogram(float[] values) {
        if (signed == null) {
            signed = new long[BINS];
            abs = new long[BINS];
        }
        double width = (max - min) / BINS;
        double absMax = absMax();
        double absWidth = absMax / BINS;
        for (float v : values) {
            if (!Float.isFinite(v)) {
                continue;
            }
            int b = width > 0 ? (int) ((v - min) / width) : 0;
            signed[Math.max(0, Math.min(BINS - 1, b))]++;
            int a = absWidth > 0 ? (int) (Math.abs(v) / absWidth) : 0;
            abs[Math.min(BINS - 1, a)]++;
        }
    }

    public double min() {
        return min;
    }

    public double max() {
        return max;
    }

    public double absMax() {
        return Math.max(Math.abs(min), Math.abs(max));
    }

    public long count() {
        return count;
    }

    public boolean hasHistogram() {
        return signed != null;
    }

    public long[] signedHistogram() {
        return signed == null ? new long[0] : signed.clone();
    }

    public long[] absHistogram() {
        return abs == null ? new long[0] : abs.clone();
    }
}
