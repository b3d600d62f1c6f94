package org.polaris.workbench.ui.quantize;

/**
 * Counts of a calibrated activation over [min, max] and the clipping range quantization chose for it.
 */
public record HistogramData(String title, double min, double max, long[] counts, double clipMin, double clipMax) {

    public static HistogramData empty(String title) {
        return new HistogramData(title, 0, 0, new long[0], 0, 0);
    }
}
