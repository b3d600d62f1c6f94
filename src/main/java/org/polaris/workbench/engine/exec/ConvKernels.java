package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.Node;

import java.util.Map;

/**
 * 2-D convolution: im2col + {@link Gemm} in general, the input used directly for 1x1/stride-1 convolutions, and a
 * direct loop for depthwise convolutions (one input channel per group), where im2col would only add copies.
 */
final class ConvKernels {

    private ConvKernels() {
    }

    static void register(Map<String, Kernel> k, EnginePool pool) {
        k.put("Conv", (n, in, o) -> new Value[] {conv(pool, n, in[0], in[1], in.length > 2 ? in[2] : null)});
    }

    /** Output size and begin padding of one spatial axis, honouring auto_pad. */
    static int[] geometry(String autoPad, int size, int kernel, int stride, int dilation, int padBegin, int padEnd,
                          boolean ceil) {
        int eff = dilation * (kernel - 1) + 1;
        if (autoPad.startsWith("SAME")) {
            int out = (size + stride - 1) / stride;
            int total = Math.max(0, (out - 1) * stride + eff - size);
            int begin = autoPad.equals("SAME_UPPER") ? total / 2 : total - total / 2;
            return new int[] {out, begin};
        }
        if (autoPad.equals("VALID")) {
            return new int[] {(size - eff) / stride + 1, 0};
        }
        int span = size + padBegin + padEnd - eff;
        int out = (ceil ? (span + stride - 1) / stride : span / stride) + 1;
        if (ceil && (out - 1) * stride >= size + padBegin) {
            out--;
        }
        return new int[] {out, padBegin};
    }

    static Value conv(EnginePool pool, Node node, Value x, Value w, Value bias) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException("Conv is implemented for 2-D images (rank 4), got rank " + x.rank());
        }
        int batch = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3];
        int m = w.shape[0], kh = w.shape[2], kw = w.shape[3];
        int group = (int) Attrs.i(node, "group", 1);
        int[] strides = Attrs.ints(node, "strides", new int[] {1, 1});
        int[] dil = Attrs.ints(node, "dilations", new int[] {1, 1});
        int[] pads = Attrs.ints(node, "pads", new int[] {0, 0, 0, 0});
        String autoPad = Attrs.s(node, "auto_pad", "NOTSET");
        int[] gy = geometry(autoPad, h, kh, strides[0], dil[0], pads[0], pads[2], false);
        int[] gx = geometry(autoPad, wd, kw, strides[1], dil[1], pads[1], pads[3], false);
        int oh = gy[0], ow = gx[0];
        int cg = c / group, mg = m / group;
        int kSize = cg * kh * kw;
        int plane = oh * ow;
        float[] out = new float[batch * m * plane];
        if (bias != null) {
            for (int b = 0; b < batch; b++)
                for (int oc = 0; oc < m; oc++)
                    java.util.Arrays.fill(out, (b * m + oc) * plane, (b * m + oc + 1) * plane, bias.f[oc]);
        }
        if (cg == 1 && mg == 1) {
            depthwise(pool, x, w, out, oh, ow, strides, dil, gy[1], gx[1]);
            return Value.floats(new int[] {batch, m, oh, ow}, out);
        }
        boolean pointwise = kh == 1 && kw == 1 && strides[0] == 1 && strides[1] == 1 && gy[1] == 0 && gx[1] == 0
                && oh == h && ow == wd;
        float[] col = pointwise ? null : new float[kSize * plane];
        for (int b = 0; b < batch; b++) {
            for (int g = 0; g < group; g++) {
                int inOff = (b * c + g * cg) * h * wd;
                float[] src;
                int srcOff;
                if (pointwise) {
                    src = x.f;
                    srcOff = inOff;
                } else {
                    im2col(x.f, inOff, cg, h, wd, kh, kw, oh, ow, strides, dil, gy[1], gx[1], col);
                    src = col;
                    srcOff = 0;
                }
                Gemm.multiply(pool, mg, plane, kSize, w.f, g * mg * kSize, src, srcOff, out, (b * m + g * mg) * plane);
            }
        }
        return Value.floats(new int[] {batch, m, oh, ow}, out);
    }

    private static void im2col(float[] x, int off, int c, int h, int w, int kh, int kw, int oh, int ow, int[] s,
                               int[] d, int py, int px, float[] col) {
        int plane = oh * ow;
        for (int ch = 0; ch < c; ch++) {
            for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++) {
                    int row = ((ch * kh + ky) * kw + kx) * plane;
                    for (int y = 0; y < oh; y++) {
                        int iy = y * s[0] - py + ky * d[0];
                        for (int xo = 0; xo < ow; xo++) {
                            int ix = xo * s[1] - px + kx * d[1];
                            col[row + y * ow + xo] = iy >= 0 && iy < h && ix >= 0 && ix < w
                                    ? x[off + (ch * h + iy) * w + ix] : 0f;
                        }
                    }
                }
            }
        }
    }

    private static void depthwise(EnginePool pool, Value x, Value w, float[] out, int oh, int ow, int[] s, int[] d,
                                  int py, int px) {
        int batch = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3];
        int kh = w.shape[2], kw = w.shape[3];
        pool.parallelFor(batch * c, 4, bc -> {
            int ch = bc % c;
            int inOff = bc * h * wd;
            int outOff = bc * oh * ow;
            for (int y = 0; y < oh; y++) {
                for (int xo = 0; xo < ow; xo++) {
                    float acc = 0;
                    for (int ky = 0; ky < kh; ky++) {
                        int iy = y * s[0] - py + ky * d[0];
                        if (iy < 0 || iy >= h) continue;
                        for (int kx = 0; kx < kw; kx++) {
                            int ix = xo * s[1] - px + kx * d[1];
                            if (ix < 0 || ix >= wd) continue;
                            acc += x.f[inOff + iy * wd + ix] * w.f[(ch * kh + ky) * kw + kx];
                        }
                    }
                    out[outOff + y * ow + xo] += acc;
                }
            }
        });
    }
}
