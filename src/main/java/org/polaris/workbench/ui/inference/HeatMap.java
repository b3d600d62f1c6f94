package org.polaris.workbench.ui.inference;

import org.polaris.workbench.engine.inference.InferenceService;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Tensor;

import java.util.Arrays;
import java.util.Locale;

/**
 * A 2-D view of one output map (a detector's probability map, a segmenter's scores): the first float output whose
 * last two dimensions are both larger than 1. Several channels show their per-pixel maximum.
 *
 * @param values {@code height * width} values, row-major
 */
public record HeatMap(String title, int width, int height, float[] values, float min, float max) {

    /** Largest map drawn (larger outputs are sampled down). */
    static final int MAX_SIDE = 512;

    /** The map of a run's first map-like output, or null when no output is one. */
    static HeatMap of(InferenceService.RunResult r) {
        for (Tensor t : r.tensors().values()) {
            long[] d = t.dims();
            if (t.dataType() != DataType.FLOAT || d.length < 2 || d[d.length - 1] < 2 || d[d.length - 2] < 2) {
                continue;
            }
            int h = (int) d[d.length - 2];
            int w = (int) d[d.length - 1];
            long plane = (long) h * w;
            float[] all = t.toFloats();
            int channels = d.length >= 3 ? (int) d[d.length - 3] : 1;
            int step = Math.max(1, (int) Math.ceil(Math.max(h, w) / (double) MAX_SIDE));
            int oh = (h + step - 1) / step;
            int ow = (w + step - 1) / step;
            float[] out = new float[oh * ow];
            Arrays.fill(out, Float.NEGATIVE_INFINITY);
            for (int c = 0; c < channels && (long) c * plane < all.length; c++) {
                for (int y = 0; y < oh; y++) {
                    for (int x = 0; x < ow; x++) {
                        out[y * ow + x] = Math.max(out[y * ow + x], all[(int) (c * plane + (long) y * step * w + (long) x * step)]);
                    }
                }
            }
            float min = Float.POSITIVE_INFINITY;
            float max = Float.NEGATIVE_INFINITY;
            for (float v : out) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            String title = String.format(Locale.ROOT, "%s %s%s, %.4g .. %.4g", t.name(), Arrays.toString(d),
                    channels > 1 ? " (max over " + channels + " channels)" : "", min, max);
            return new HeatMap(title, ow, oh, out, min, max);
        }
        return null;
    }

    /** A value as 0..1 of the map's range. */
    public double normalized(int i) {
        return max > min ? (values[i] - min) / (max - min) : 0;
    }
}
