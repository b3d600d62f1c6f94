package org.polaris.workbench.engine.telemetry;

import java.util.Arrays;

/**
 * One reading of one device at one time. Values are indexed by {@link Metric#ordinal()}; NaN means the device or
 * driver does not report that metric.
 */
public record Sample(long epochMillis, String device, double[] values) {

    public Sample {
        if (values.length != Metric.values().length) {
            throw new IllegalArgumentException("a sample holds " + Metric.values().length + " values");
        }
    }

    public static double[] empty() {
        double[] v = new double[Metric.values().length];
        Arrays.fill(v, Double.NaN);
        return v;
    }

    public double get(Metric m) {
        return values[m.ordinal()];
    }

    public boolean has(Metric m) {
        return !Double.isNaN(values[m.ordinal()]);
    }
}
