package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.Node;

import java.util.Map;

/**
 * GridSample (2-D), Resize (opsets 10-19) and Upsample (7-9) in any rank: nearest (four rounding modes), N-linear and cubic
 * interpolation, every coordinate transformation mode, {@code exclude_outside} and the extrapolation value of
 * {@code tf_crop_and_resize}. Separable: each output element is the product over axes of 1, 2 or 4 taps per axis.
 * Not implemented: {@code antialias} and {@code keep_aspect_ratio_policy} other than stretch (refused).
 */
final class ResizeKernels {

    private ResizeKernels() {
    }

    static void register(Map<String, Kernel> k, EnginePool pool) {
        k.put("GridSample", (n, in, o) -> new Value[] {gridSample(n, in[0], in[1], o)});
        k.put("Resize", (n, in, o) -> new Value[] {interpolate(pool, request(n, in, o))});
        k.put("Upsample", (n, in, o) -> new Value[] {upsample(pool, n, in, o)});
    }

    private static Value upsample(EnginePool pool, Node n, Value[] in, int opset) {
        Value x = in[0];
        float[] scales = opset >= 9 ? toFloats(in[1]) : floats(n.attribute("scales").orElseThrow().value());
        String mode = Attrs.s(n, "mode", "nearest");
        int[] out = new int[x.rank()];
        for (int d = 0; d < out.length; d++) out[d] = (int) Math.floor(x.shape[d] * scales[d]);
        return interpolate(pool, new Request(x, out, scales, null, mode.equals("linear") || mode.equals("bilinear") ? "linear"
                : "nearest", "asymmetric", "floor", -0.75, false, 0));
    }

    /**
     * GridSample on images ([N, C, H, W], grid [N, Ho, Wo, 2] of normalized (x, y)) as the ONNX reference defines
     * it: the grid point denormalized (align_corners), moved inside by border or reflection padding, then read with
     * nearest (halves to even), bilinear or bicubic (A = -0.75) taps, each tap through the padding rule (zeros: 0
     * outside). Opset 16 names the modes bilinear/bicubic, 20 linear/cubic.
     */
    private static Value gridSample(Node n, Value x, Value grid, int opset) {
        if (x.rank() != 4 || grid.rank() != 4 || grid.shape[3] != 2) {
            throw new IllegalArgumentException("GridSample is implemented for 2-D images (X rank 4, grid [N, H, W, 2])");
        }
        String mode = Attrs.s(n, "mode", opset >= 20 ? "linear" : "bilinear");
        String padding = Attrs.s(n, "padding_mode", "zeros");
        boolean align = Attrs.i(n, "align_corners", 0) != 0;
        int batch = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        int oh = grid.shape[1], ow = grid.shape[2];
        double[] y = new double[batch * c * oh * ow];
        double[] bx = align ? new double[] {0, w - 1} : new double[] {-0.5, w - 0.5};
        double[] by = align ? new double[] {0, h - 1} : new double[] {-0.5, h - 0.5};
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    int g = ((b * oh + i) * ow + j) * 2;
                    double gx = denormalize(grid.get(g), w, align);
                    double gy = denormalize(grid.get(g + 1), h, align);
                    if (padding.equals("border")) {
                        gx = Math.max(0, Math.min(w - 1, gx));
                        gy = Math.max(0, Math.min(h - 1, gy));
                    } else if (padding.equals("reflection")) {
                        gx = reflect(gx, bx[0], bx[1]);
                        gy = reflect(gy, by[0], by[1]);
                    }
                    for (int ch = 0; ch < c; ch++) {
                        int plane = (b * c + ch) * h * w;
                        double v;
                        switch (mode) {
                            case "nearest" -> v = pixel(x, plane, (int) Math.rint(gy), (int) Math.rint(gx), h, w, padding, bx, by);
                            case "bilinear", "linear" -> {
                                int x0 = (int) Math.floor(gx);
                                int y0 = (int) Math.floor(gy);
                                double fx = gx - x0;
                                double fy = gy - y0;
                                v = (1 - fy) * ((1 - fx) * pixel(x, plane, y0, x0, h, w, padding, bx, by)
                                        + fx * pixel(x, plane, y0, x0 + 1, h, w, padding, bx, by))
                                        + fy * ((1 - fx) * pixel(x, plane, y0 + 1, x0, h, w, padding, bx, by)
                                        + fx * pixel(x, plane, y0 + 1, x0 + 1, h, w, padding, bx, by));
                            }
                            case "bicubic", "cubic" -> {
                                int x0 = (int) Math.floor(gx) - 1;
                                int y0 = (int) Math.floor(gy) - 1;
                                double[] cx = cubic(gx - Math.floor(gx));
                                double[] cy = cubic(gy - Math.floor(gy));
                                v = 0;
                                for (int r = 0; r < 4; r++) {
                                    double row = 0;
                                    for (int q = 0; q < 4; q++) {
                                        row += cx[q] * pixel(x, plane, y0 + r, x0 + q, h, w, padding, bx, by);
                                    }
                                    v += cy[r] * row;
                                }
                            }
                            default -> throw new IllegalArgumentException("GridSample mode " + mode + " is not implemented");
                        }
                        y[((b * c + ch) * oh + i) * ow + j] = v;
                    }
                }
            }
        }
        return Value.ofDoubles(x.type, new int[] {batch, c, oh, ow}, y);
    }

    private static double denormalize(double v, int len, boolean align) {
        return align ? (v + 1) / 2 * (len - 1) : ((v + 1) * len - 1) / 2;
    }

    /** Reflects {@code v} into [lo, hi] as often as it takes. */
    private static double reflect(double v, double lo, double hi) {
        double range = hi - lo;
        if (range <= 0) {
            return lo;
        }
        if (v < lo) {
            double d = lo - v;
            long k = (long) (d / range);
            double r = d - k * range;
            return k % 2 == 0 ? lo + r : hi - r;
        }
        if (v > hi) {
            double d = v - hi;
            long k = (long) (d / range);
            double r = d - k * range;
            return k % 2 == 0 ? hi - r : lo + r;
        }
        return v;
    }

    /** One input pixel under the padding rule. */
    private static double pixel(Value x, int plane, int r, int c, int h, int w, String padding, double[] bx, double[] by) {
        switch (padding) {
            case "border" -> {
                r = Math.max(0, Math.min(h - 1, r));
                c = Math.max(0, Math.min(w - 1, c));
            }
            case "reflection" -> {
                r = (int) reflect(r, by[0], by[1]);
                c = (int) reflect(c, bx[0], bx[1]);
            }
            default -> {
                if (r < 0 || r >= h || c < 0 || c >= w) {
                    return 0;
                }
            }
        }
        return x.get(plane + r * w + c);
    }

    /** The four cubic convolution weights (A = -0.75) of a tap at fraction t. */
    private static double[] cubic(double t) {
        double a = -0.75;
        return new double[] {
            ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a,
            ((a + 2) * t - (a + 3)) * t * t + 1,
            ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1,
            ((a * (2 - t) - 5 * a) * (2 - t) + 8 * a) * (2 - t) - 4 * a};
    }

    /** A resize as the spec defines it: input, output size, scales, region of interest and the mode attributes. */
    record Request(Value x, int[] out, float[] scales, double[] roi, String mode, String coord, String nearestMode,
                   double a, boolean excludeOutside, double extrapolation) {
    }

    static Request request(Node n, Value[] in, int opset) {
        Value x = in[0];
        int r = x.rank();
        if (Attrs.i(n, "antialias", 0) != 0) {
            throw new IllegalArgumentException("Resize with antialias is not implemented");
        }
        if (!Attrs.s(n, "keep_aspect_ratio_policy", "stretch").equals("stretch")) {
            throw new IllegalArgumentException("Resize keep_aspect_ratio_policy other than stretch is not implemented");
        }
        Value roiV = null;
        Value scalesV;
        Value sizesV = null;
        if (opset < 11) {
            scalesV = in[1];
        } else {
            roiV = in.length > 1 ? in[1] : null;
            scalesV = in.length > 2 ? in[2] : null;
            sizesV = in.length > 3 ? in[3] : null;
        }
        int[] axes = Attrs.ints(n, "axes", null);
        if (axes == null) {
            axes = new int[r];
            for (int d = 0; d < r; d++) axes[d] = d;
        } else {
            for (int i = 0; i < axes.length; i++) axes[i] = Attrs.axis(axes[i], r);
        }
        float[] scales = new float[r];
        int[] out = x.shape.clone();
        java.util.Arrays.fill(scales, 1f);
        if (sizesV != null && sizesV.size() > 0) {
            long[] sizes = sizesV.asLongs();
            for (int i = 0; i < axes.length; i++) {
                out[axes[i]] = (int) sizes[i];
                scales[axes[i]] = (float) sizes[i] / x.shape[axes[i]];
            }
        } else {
            float[] s = toFloats(scalesV);
            for (int i = 0; i < axes.length; i++) {
                scales[axes[i]] = s[i];
                out[axes[i]] = (int) Math.floor(x.shape[axes[i]] * (double) s[i]);
            }
        }
        double[] roi = null;
        if (roiV != null && roiV.size() > 0) {
            float[] rv = toFloats(roiV);
            roi = new double[2 * r];
            for (int d = 0; d < r; d++) {
                roi[d] = 0;
                roi[r + d] = 1;
            }
            for (int i = 0; i < axes.length; i++) {
                roi[axes[i]] = rv[i];
                roi[r + axes[i]] = rv[axes.length + i];
            }
        }
        String coord = Attrs.s(n, "coordinate_transformation_mode", opset < 11 ? "asymmetric" : "half_pixel");
        return new Request(x, out, scales, roi, Attrs.s(n, "mode", "nearest"), coord,
                Attrs.s(n, "nearest_mode", opset < 11 ? "floor" : "round_prefer_floor"),
                Attrs.f(n, "cubic_coeff_a", -0.75f), Attrs.i(n, "exclude_outside", 0) != 0,
                Attrs.f(n, "extrapolation_value", 0f));
    }

    private static float[] toFloats(Value v) {
        float[] f = new float[v.size()];
        for (int i = 0; i < f.length; i++) f[i] = (float) v.get(i);
        return f;
    }

    private static float[] floats(Object attr) {
        return attr instanceof float[] f ? f : new float[0];
    }

    /** Taps of one output coordinate along one axis: source indices and weights; {@code outside} when extrapolated. */
    private record Taps(int[] index, double[] weight, boolean outside) {
    }

    private static Taps[][] taps(Request q) {
        Value x = q.x();
        int r = x.rank();
        Taps[][] taps = new Taps[r][];
        for (int d = 0; d < r; d++) {
            taps[d] = new Taps[q.out()[d]];
            for (int i = 0; i < q.out()[d]; i++) {
                double src = original(i, q.out()[d], x.shape[d], q.scales()[d], q.roi() == null ? 0 : q.roi()[d],
                        q.roi() == null ? 1 : q.roi()[r + d], q.coord());
                taps[d][i] = taps(src, x.shape[d], q.mode(), q.nearestMode(), q.a(), q.excludeOutside(), q.coord());
            }
        }
        return taps;
    }

    private static Value interpolate(EnginePool pool, Request q) {
        Value x = q.x();
        int[] out = q.out();
        double extrapolation = q.extrapolation();
        int r = x.rank();
        Taps[][] taps = taps(q);
        Plan2d plan = plan2d(x, out, taps);
        if (plan != null) {
            return Value.floats(out, separable2d(pool, x.f, plan));
        }
        int[] sx = Value.strides(x.shape);
        double[] result = new double[Value.size(out)];
        int[] idx = new int[r];
        for (int k = 0; k < result.length; k++) {
            boolean outside = false;
            for (int d = 0; d < r; d++) outside |= taps[d][idx[d]].outside();
            result[k] = outside ? extrapolation : accumulate(x, taps, idx, sx, 0, 0, 1);
            for (int d = r - 1; d >= 0; d--) {
                if (++idx[d] < out[d]) break;
                idx[d] = 0;
            }
        }
        return Value.ofDoubles(x.type, out, result);
    }

    /**
     * A resize of only the last two axes (an image upsampled or downsampled, any mode but extrapolating crops) as flat
     * tap tables: output column i takes {@code tx} taps {@code ix[i*tx + j]} weighted {@code wx[i*tx + j]}, output row
     * likewise from {@code iy}/{@code wy}. The CPU fast path and the OpenCL kernel both run it.
     */
    record Plan2d(int planes, int h, int w, int oh, int ow, int[] ix, float[] wx, int[] iy, float[] wy) {
    }

    /** The 2-D plan of a Resize node on these inputs, or null when it is not a float resize of the last two axes. */
    static Plan2d plan2d(Node n, Value[] in, int opset) {
        Request q = request(n, in, opset);
        return q.x().type == org.polaris.workbench.engine.model.DataType.FLOAT ? plan2d(q.x(), q.out(), taps(q)) : null;
    }

    private static Plan2d plan2d(Value x, int[] out, Taps[][] taps) {
        int r = x.rank();
        if (x.type != org.polaris.workbench.engine.model.DataType.FLOAT || r < 2) {
            return null;
        }
        for (int d = 0; d < r; d++) {
            for (int i = 0; i < out[d]; i++) {
                Taps t = taps[d][i];
                if (t.outside()) {
                    return null;
                }
                if (d < r - 2) { // leading axes must map each index to itself with weight 1
                    for (int j = 0; j < t.index().length; j++) {
                        if (t.weight()[j] != 0 && (t.index()[j] != i || t.weight()[j] != 1)) {
                            return null;
                        }
                    }
                }
            }
            if (d < r - 2 && out[d] != x.shape[d]) {
                return null;
            }
        }
        int h = x.shape[r - 2], w = x.shape[r - 1], oh = out[r - 2], ow = out[r - 1];
        int planes = h * w == 0 ? 0 : x.size() / (h * w);
        return new Plan2d(planes, h, w, oh, ow, flatIndex(taps[r - 1]), flatWeight(taps[r - 1]), flatIndex(taps[r - 2]),
                flatWeight(taps[r - 2]));
    }

    private static int[] flatIndex(Taps[] taps) {
        int t = taps.length == 0 ? 0 : taps[0].index().length;
        int[] out = new int[taps.length * t];
        for (int i = 0; i < taps.length; i++) System.arraycopy(taps[i].index(), 0, out, i * t, t);
        return out;
    }

    private static float[] flatWeight(Taps[] taps) {
        int t = taps.length == 0 ? 0 : taps[0].index().length;
        float[] out = new float[taps.length * t];
        for (int i = 0; i < taps.length; i++) {
            for (int j = 0; j < t; j++) out[i * t + j] = (float) taps[i].weight()[j];
        }
        return out;
    }

    /**
     * The CPU side of a 2-D plan: per plane, the taps along x fill a [h, ow] row buffer, then each output row is a
     * weighted sum of one, two or four of those rows, written in one pass (loops the JIT vectorizes). Planes are split
     * over the pool's threads.
     */
    private static float[] separable2d(EnginePool pool, float[] x, Plan2d p) {
        int h = p.h(), w = p.w(), oh = p.oh(), ow = p.ow();
        int tx = ow == 0 ? 0 : p.ix().length / ow;
        int ty = oh == 0 ? 0 : p.iy().length / oh;
        float[] o = Buffers.uninitialized(p.planes() * oh * ow); // every row is written
        long work = (long) p.planes() * oh * ow;
        pool.parallelFor(p.planes(), (int) Math.max(1, FloatMath.PARALLEL_MIN / Math.max(1, work / Math.max(1, p.planes()))),
                pl -> {
                    float[] rows = new float[h * ow];
                    int in = pl * h * w;
                    for (int y = 0; y < h; y++) {
                        int src = in + y * w;
                        int dst = y * ow;
                        for (int i = 0; i < ow; i++) {
                            float sum = 0;
                            for (int j = 0; j < tx; j++) {
                                sum += p.wx()[i * tx + j] * x[src + p.ix()[i * tx + j]];
                            }
                            rows[dst + i] = sum;
                        }
                    }
                    int base = pl * oh * ow;
                    for (int y = 0; y < oh; y++) {
                        outputRow(p, y, ty, rows, ow, o, base + y * ow);
                    }
                });
        return o;
    }

    /**
     * Output row y of a plane from its rows of x-taps: one pass for up to two taps of non-zero weight (a zero-weight
     * tap is skipped, not multiplied: its row may hold an infinity), accumulated for more.
     */
    private static void outputRow(Plan2d p, int y, int ty, float[] rows, int ow, float[] o, int dst) {
        int n = 0, r0 = 0, r1 = 0;
        float w0 = 0f, w1 = 0f;
        for (int j = 0; j < ty; j++) {
            float wv = p.wy()[y * ty + j];
            if (wv == 0) {
                continue;
            }
            if (n == 0) {
                w0 = wv;
                r0 = p.iy()[y * ty + j] * ow;
            } else {
                w1 = wv;
                r1 = p.iy()[y * ty + j] * ow;
            }
            n++;
        }
        if (n == 0) {
            java.util.Arrays.fill(o, dst, dst + ow, 0f);
        } else if (n == 1) {
            for (int i = 0; i < ow; i++) o[dst + i] = w0 * rows[r0 + i];
        } else if (n == 2) {
            for (int i = 0; i < ow; i++) o[dst + i] = w0 * rows[r0 + i] + w1 * rows[r1 + i];
        } else {
            java.util.Arrays.fill(o, dst, dst + ow, 0f);
            for (int j = 0; j < ty; j++) {
                float wv = p.wy()[y * ty + j];
                if (wv == 0) {
                    continue;
                }
                int src = p.iy()[y * ty + j] * ow;
                for (int i = 0; i < ow; i++) {
                    o[dst + i] += wv * rows[src + i];
                }
            }
        }
    }

    private static double accumulate(Value x, Taps[][] taps, int[] idx, int[] sx, int d, int offset, double w) {
        if (d == idx.length) {
            return w * x.get(offset);
        }
        Taps t = taps[d][idx[d]];
        double sum = 0;
        for (int j = 0; j < t.index().length; j++) {
            if (t.weight()[j] != 0) {
                sum += accumulate(x, taps, idx, sx, d + 1, offset + t.index()[j] * sx[d], w * t.weight()[j]);
            }
        }
        return sum;
    }

    /** The source coordinate of output index {@code x} along an axis, per the coordinate transformation mode. */
    static double original(int x, int outLen, int inLen, double scale, double start, double end, String coord) {
        return switch (coord) {
            case "asymmetric" -> x / scale;
            // the resized length is scale x input (not rounded down): what scales rather than sizes ask for
            case "align_corners" -> outLen == 1 ? 0 : x * (inLen - 1.0) / (scale * inLen - 1.0);
            case "pytorch_half_pixel" -> outLen > 1 ? (x + 0.5) / scale - 0.5 : 0;
            case "tf_half_pixel_for_nn" -> (x + 0.5) / scale;
            case "tf_crop_and_resize" -> outLen > 1
                    ? start * (inLen - 1) + x * (end - start) * (inLen - 1) / (outLen - 1)
                    : 0.5 * (start + end) * (inLen - 1);
            case "half_pixel_symmetric" -> {
                double adjustment = outLen / (scale * inLen);
                double center = inLen / 2.0;
                double offset = center * (1 - adjustment);
                yield offset + (x + 0.5) / scale - 0.5;
            }
            default -> (x + 0.5) / scale - 0.5; // half_pixel
        };
    }

    private static Taps taps(double src, int len, String mode, String nearestMode, double a, boolean excludeOutside,
                             String coord) {
        boolean outside = coord.equals("tf_crop_and_resize") && (src < 0 || src > len - 1);
        switch (mode) {
            case "nearest" -> {
                int i = switch (nearestMode) {
                    case "round_prefer_ceil" -> (int) Math.floor(src + 0.5);
                    case "floor" -> (int) Math.floor(src);
                    case "ceil" -> (int) Math.ceil(src);
                    default -> src == Math.floor(src) + 0.5 ? (int) Math.floor(src) : (int) Math.round(src);
                };
                return new Taps(new int[] {clamp(i, len)}, new double[] {1}, outside);
            }
            case "linear" -> {
                double s = Math.max(0, Math.min(len - 1, src));
                int i0 = (int) Math.floor(s);
                int i1 = Math.min(i0 + 1, len - 1);
                double t = s - i0;
                return new Taps(new int[] {i0, i1}, new double[] {1 - t, t}, outside);
            }
            case "cubic" -> {
                int i0 = (int) Math.floor(src);
                double t = src - i0;
                double[] w = {
                    ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a,
                    ((a + 2) * t - (a + 3)) * t * t + 1,
                    ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1,
                    ((a * (2 - t) - 5 * a) * (2 - t) + 8 * a) * (2 - t) - 4 * a};
                int[] index = new int[4];
                double sum = 0;
                for (int j = 0; j < 4; j++) {
                    int i = i0 - 1 + j;
                    if (excludeOutside && (i < 0 || i >= len)) {
                        w[j] = 0;
                    }
                    index[j] = clamp(i, len);
                    sum += w[j];
                }
                if (excludeOutside && sum != 0) {
                    for (int j = 0; j < 4; j++) w[j] /= sum;
                }
                return new Taps(index, w, outside);
            }
            default -> throw new IllegalArgumentException("Resize mode " + mode + " is not implemented");
        }
    }

    private static int clamp(int i, int len) {
        return Math.max(0, Math.min(len - 1, i));
    }
}
