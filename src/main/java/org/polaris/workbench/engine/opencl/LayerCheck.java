package org.polaris.workbench.engine.opencl;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.polaris.workbench.engine.opencl.KernelCheck.compare;
import static org.polaris.workbench.engine.opencl.KernelCheck.gauss;

/**
 * The layer kernels (grouped and transposed convolution, average pooling, layer normalization, batched products,
 * padding, RoiAlign, the scatter of ScatterElements, Gather; LSTM and GRU in {@link RecurrentCheck}) against plain-Java computations written the other way round where there is one (the transposed
 * convolution scatters, the kernel gathers); part of {@link KernelCheck}.
 */
final class LayerCheck {

    private LayerCheck() {
    }

    static List<KernelCheck.Check> run(ClRuntime rt, ClKernels k, Random r) {
        List<KernelCheck.Check> out = new ArrayList<>();
        // grouped: 6 channels in 3 groups to 9; depthwise with a multiplier: 3 channels in 3 groups to 6
        for (int[] cgm : new int[][] {{6, 3, 9}, {3, 3, 6}}) {
            ClKernels.Window s = new ClKernels.Window(2, cgm[0], 7, 8, cgm[2], cgm[1], new ClKernels.Conv(3, 3, 2, 2, 1, 1, 1, 1), 4, 4);
            float[] x = gauss(2 * s.c() * 7 * 8, r);
            float[] w = gauss(s.m() * s.c() / s.groups() * 9, r);
            float[] bias = gauss(s.m(), r);
            float[] got = device(rt, x, w, bias, s.n() * s.m() * 16, (bx, bw, bb, by) -> k.convGrouped(bx, bw, bb, by, s));
            out.add(compare(String.format(java.util.Locale.ROOT, "conv grouped %d->%d in %d groups", s.c(), s.m(), s.groups()),
                    convGrouped(x, w, bias, s), got, 1e-5));
        }
        // transposed: 4 channels in 2 groups to 6, 3 x 3, stride 2, pads 1, output padding 1: 5 x 6 -> 10 x 12
        ClKernels.Window t = new ClKernels.Window(2, 4, 5, 6, 6, 2, new ClKernels.Conv(3, 3, 2, 2, 1, 1, 1, 1), 10, 12);
        float[] x = gauss(2 * 4 * 5 * 6, r);
        float[] w = gauss(4 * 3 * 9, r);
        float[] bias = gauss(6, r);
        out.add(compare("conv transpose 3x3 s2 p1 groups 2", convTranspose(x, w, bias, t),
                device(rt, x, w, bias, 2 * 6 * 10 * 12, (bx, bw, bb, by) -> k.convTranspose(bx, bw, bb, by, t)), 1e-5));
        // average pooling 3 x 3, stride 2, pads 1 begin / 2 end on 8 x 8 (the last window reaches into the end pads),
        // with and without the pads in the divisor
        for (boolean include : new boolean[] {false, true}) {
            ClKernels.Window p = new ClKernels.Window(2, 3, 8, 8, 3, 1, new ClKernels.Conv(3, 3, 2, 2, 1, 1, 1, 1), 5, 5);
            float[] px = gauss(2 * 3 * 8 * 8, r);
            float[] got;
            try (ClRuntime.Buffer bx = rt.upload(px); ClRuntime.Buffer by = rt.allocate(4L * 2 * 3 * 25)) {
                k.avgPool(bx, by, p, 2, 2, include);
                got = rt.readFloats(by, 2 * 3 * 25);
            }
            out.add(compare("average pool 3x3 s2" + (include ? " counting pads" : ""), avgPool(px, p, 2, 2, include), got, 1e-6));
        }
        out.add(layerNorm(rt, k, r));
        out.add(batchedProduct(rt, k, r));
        for (ClKernels.PadMode mode : ClKernels.PadMode.values()) {
            out.add(pad(rt, k, r, mode));
        }
        out.addAll(RecurrentCheck.run(rt, k, r));
        // adaptive sampling with half-pixel coordinates, then max mode on a 2 x 2 grid without the half pixel
        out.add(roiAlign(rt, k, r, new ClKernels.RoiAlign(3, 4, 0, 0.5f, true, false)));
        out.add(roiAlign(rt, k, r, new ClKernels.RoiAlign(2, 2, 2, 0.25f, false, true)));
        out.add(scatter(rt, k, r));
        out.add(gather(rt, k, r));
        return out;
    }

    /**
     * RoiAlign over 2 images of 3 channels, 9 x 11, with rois inside the map, reaching past its edges, and smaller
     * than a pixel, against the ONNX definition evaluated directly in double.
     */
    private static KernelCheck.Check roiAlign(ClRuntime rt, ClKernels k, Random r, ClKernels.RoiAlign a) {
        int n = 2, c = 3, h = 9, w = 11;
        float[] x = gauss(n * c * h * w, r);
        float s = 1 / a.scale();
        float[] rois = {1 * s, 2 * s, 7 * s, 8 * s, -3 * s, -2 * s, 12 * s, 6 * s, 4 * s, 4 * s, 4.3f * s, 4.2f * s,
            0, 0, 10.5f * s, 8.5f * s};
        int[] batch = {0, 1, 1, 0};
        int count = batch.length, bins = a.oh() * a.ow();
        float[] want = new float[count * c * bins];
        for (int q = 0; q < count; q++) {
            double off = a.halfPixel() ? 0.5 : 0;
            double x1 = rois[4 * q] * a.scale() - off, y1 = rois[4 * q + 1] * a.scale() - off;
            double rw = rois[4 * q + 2] * a.scale() - off - x1, rh = rois[4 * q + 3] * a.scale() - off - y1;
            if (!a.halfPixel()) {
                rw = Math.max(rw, 1);
                rh = Math.max(rh, 1);
            }
            int gh = a.ratio() > 0 ? a.ratio() : (int) Math.ceil(rh / a.oh());
            int gw = a.ratio() > 0 ? a.ratio() : (int) Math.ceil(rw / a.ow());
            for (int ch = 0; ch < c; ch++) {
                for (int bin = 0; bin < bins; bin++) {
                    int py = bin / a.ow(), px = bin % a.ow();
                    double acc = 0, best = Double.NEGATIVE_INFINITY;
                    for (int iy = 0; iy < gh; iy++) {
                        for (int ix = 0; ix < gw; ix++) {
                            double sy = y1 + py * rh / a.oh() + (iy + 0.5) * rh / a.oh() / gh;
                            double sx = x1 + px * rw / a.ow() + (ix + 0.5) * rw / a.ow() / gw;
                            double[] corner = new double[4];
                            if (sy >= -1 && sy <= h && sx >= -1 && sx <= w) {
                                double yy = Math.min(Math.max(sy, 0), h - 1), xx = Math.min(Math.max(sx, 0), w - 1);
                                int y0 = (int) yy, x0 = (int) xx;
                                int yb = Math.min(y0 + 1, h - 1), xb = Math.min(x0 + 1, w - 1);
                                double ly = yy - y0, lx = xx - x0;
                                int plane = (batch[q] * c + ch) * h * w;
                                corner[0] = (1 - ly) * (1 - lx) * x[plane + y0 * w + x0];
                                corner[1] = (1 - ly) * lx * x[plane + y0 * w + xb];
                                corner[2] = ly * (1 - lx) * x[plane + yb * w + x0];
                                corner[3] = ly * lx * x[plane + yb * w + xb];
                            }
                            for (double v : corner) {
                                acc += v;
                                best = Math.max(best, v);
                            }
                        }
                    }
                    int per = gh * gw;
                    want[(q * c + ch) * bins + bin] = (float) (a.max() ? (per == 0 ? 0 : best) : acc / Math.max(per, 1));
                }
            }
        }
        float[] got;
        try (ClRuntime.Buffer bx = rt.upload(x); ClRuntime.Buffer by = rt.allocate(4L * want.length)) {
            k.roiAlign(bx, c, h, w, rois, batch, a, by);
            got = rt.readFloats(by, want.length);
        }
        return compare(String.format(java.util.Locale.ROOT, "roi align %dx%d %s%s", a.oh(), a.ow(), a.max() ? "max" : "avg",
                a.halfPixel() ? " half pixel" : ""), want, got, 1e-5);
    }

    /** Gather of 7 indices (repeats included) along the middle axis of [3][10][5], against a plain loop. */
    private static KernelCheck.Check gather(ClRuntime rt, ClKernels k, Random r) {
        float[] x = gauss(3 * 10 * 5, r);
        int[] index = {9, 0, 4, 4, 7, 1, 9};
        float[] want = new float[3 * index.length * 5];
        for (int o = 0; o < 3; o++) {
            for (int j = 0; j < index.length; j++) {
                for (int e = 0; e < 5; e++) want[(o * index.length + j) * 5 + e] = x[(o * 10 + index[j]) * 5 + e];
            }
        }
        float[] got;
        try (ClRuntime.Buffer bx = rt.upload(x); ClRuntime.Buffer by = rt.allocate(4L * want.length)) {
            k.gather(bx, 3, 10, 5, index, by);
            got = rt.readFloats(by, want.length);
        }
        return compare("gather 7 of 10 along axis 1", want, got, 0);
    }

    /** 300 updates to distinct positions of 1000 values, against the same assignments made in order in Java. */
    private static KernelCheck.Check scatter(ClRuntime rt, ClKernels k, Random r) {
        float[] data = gauss(1000, r);
        float[] updates = gauss(300, r);
        java.util.List<Integer> positions = new java.util.ArrayList<>();
        for (int i = 0; i < data.length; i++) positions.add(i);
        java.util.Collections.shuffle(positions, r);
        int[] target = new int[updates.length];
        float[] want = data.clone();
        for (int i = 0; i < target.length; i++) {
            target[i] = positions.get(i);
            want[target[i]] = updates[i];
        }
        float[] got;
        try (ClRuntime.Buffer bd = rt.upload(data); ClRuntime.Buffer bu = rt.upload(updates)) {
            k.scatter(target, bu, bd);
            got = rt.readFloats(bd, data.length);
        }
        return compare("scatter 300 of 1000", want, got, 0);
    }

    private interface Launch {
        void run(ClRuntime.Buffer x, ClRuntime.Buffer w, ClRuntime.Buffer bias, ClRuntime.Buffer y);
    }

    private static float[] device(ClRuntime rt, float[] x, float[] w, float[] bias, int outSize, Launch l) {
        try (ClRuntime.Buffer bx = rt.upload(x); ClRuntime.Buffer bw = rt.upload(w); ClRuntime.Buffer bb = rt.upload(bias);
             ClRuntime.Buffer by = rt.allocate(4L * outSize)) {
            l.run(bx, bw, bb, by);
            return rt.readFloats(by, outSize);
        }
    }

    static float[] convGrouped(float[] x, float[] w, float[] bias, ClKernels.Window s) {
        ClKernels.Conv g = s.g();
        int cg = s.c() / s.groups();
        int mg = s.m() / s.groups();
        float[] y = new float[s.n() * s.m() * s.oh() * s.ow()];
        for (int n = 0; n < s.n(); n++) {
            for (int m = 0; m < s.m(); m++) {
                for (int oy = 0; oy < s.oh(); oy++) {
                    for (int ox = 0; ox < s.ow(); ox++) {
                        double acc = bias[m];
                        for (int ic = 0; ic < cg; ic++) {
                            int c = m / mg * cg + ic;
                            for (int ky = 0; ky < g.kh(); ky++) {
                                for (int kx = 0; kx < g.kw(); kx++) {
                                    int iy = oy * g.sh() - g.ph() + ky * g.dh();
                                    int ix = ox * g.sw() - g.pw() + kx * g.dw();
                                    if (iy < 0 || iy >= s.h() || ix < 0 || ix >= s.w()) continue;
                                    acc += (double) w[((m * cg + ic) * g.kh() + ky) * g.kw() + kx] * x[((n * s.c() + c) * s.h() + iy) * s.w() + ix];
                                }
                            }
                        }
                        y[((n * s.m() + m) * s.oh() + oy) * s.ow() + ox] = (float) acc;
                    }
                }
            }
        }
        return y;
    }

    /** Transposed convolution by scattering each input cell through the filter (the kernel gathers instead). */
    static float[] convTranspose(float[] x, float[] w, float[] bias, ClKernels.Window s) {
        ClKernels.Conv g = s.g();
        int cg = s.c() / s.groups();
        int mg = s.m() / s.groups();
        double[] y = new double[s.n() * s.m() * s.oh() * s.ow()];
        for (int n = 0; n < s.n(); n++) {
            for (int m = 0; m < s.m(); m++) {
                for (int p = 0; p < s.oh() * s.ow(); p++) y[(n * s.m() + m) * s.oh() * s.ow() + p] = bias[m];
            }
            for (int c = 0; c < s.c(); c++) {
                for (int iy = 0; iy < s.h(); iy++) {
                    for (int ix = 0; ix < s.w(); ix++) {
                        double v = x[((n * s.c() + c) * s.h() + iy) * s.w() + ix];
                        for (int j = 0; j < mg; j++) {
                            int m = c / cg * mg + j;
                            for (int ky = 0; ky < g.kh(); ky++) {
                                for (int kx = 0; kx < g.kw(); kx++) {
                                    int oy = iy * g.sh() + ky * g.dh() - g.ph();
                                    int ox = ix * g.sw() + kx * g.dw() - g.pw();
                                    if (oy < 0 || oy >= s.oh() || ox < 0 || ox >= s.ow()) continue;
                                    y[((n * s.m() + m) * s.oh() + oy) * s.ow() + ox] += v * w[((c * mg + j) * g.kh() + ky) * g.kw() + kx];
                                }
                            }
                        }
                    }
                }
            }
        }
        float[] f = new float[y.length];
        for (int i = 0; i < y.length; i++) f[i] = (float) y[i];
        return f;
    }

    static float[] avgPool(float[] x, ClKernels.Window s, int padEndH, int padEndW, boolean includePad) {
        ClKernels.Conv g = s.g();
        float[] y = new float[s.n() * s.c() * s.oh() * s.ow()];
        for (int c = 0; c < s.n() * s.c(); c++) {
            for (int oy = 0; oy < s.oh(); oy++) {
                for (int ox = 0; ox < s.ow(); ox++) {
                    // the window clipped to the padded input, then to the input
                    int y0 = oy * g.sh() - g.ph();
                    int x0 = ox * g.sw() - g.pw();
                    int y1 = Math.min(y0 + g.kh(), s.h() + padEndH);
                    int x1 = Math.min(x0 + g.kw(), s.w() + padEndW);
                    int padded = (y1 - y0) * (x1 - x0);
                    double acc = 0;
                    int count = 0;
                    for (int iy = Math.max(0, y0); iy < Math.min(y1, s.h()); iy++) {
                        for (int ix = Math.max(0, x0); ix < Math.min(x1, s.w()); ix++) {
                            acc += x[(c * s.h() + iy) * s.w() + ix];
                            count++;
                        }
                    }
                    y[(c * s.oh() + oy) * s.ow() + ox] = (float) (acc / (includePad ? padded : count));
                }
            }
        }
        return y;
    }

    private static KernelCheck.Check layerNorm(ClRuntime rt, ClKernels k, Random r) {
        int rows = 13, len = 37;
        float[] x = gauss(rows * len, r);
        float[] scale = gauss(len, r);
        float[] bias = gauss(len, r);
        float[] want = new float[x.length];
        for (int i = 0; i < rows; i++) {
            double mean = 0;
            for (int j = 0; j < len; j++) mean += x[i * len + j];
            mean /= len;
            double var = 0;
            for (int j = 0; j < len; j++) var += (x[i * len + j] - mean) * (x[i * len + j] - mean);
            double inv = 1 / Math.sqrt(var / len + 1e-5);
            for (int j = 0; j < len; j++) want[i * len + j] = (float) ((x[i * len + j] - mean) * inv * scale[j] + bias[j]);
        }
        try (ClRuntime.Buffer bx = rt.upload(x); ClRuntime.Buffer bs = rt.upload(scale); ClRuntime.Buffer bb = rt.upload(bias);
             ClRuntime.Buffer by = rt.allocate(4L * x.length)) {
            k.layerNorm(bx, by, rows, len, 1e-5f, bs, true, bb, true);
            return compare("layer normalization", want, rt.readFloats(by, x.length), 2e-6);
        }
    }

    /** [2, 1, M, K] x [1, 3, K, N]: six products, each operand shared along the other's batch dimension. */
    private static KernelCheck.Check batchedProduct(ClRuntime rt, ClKernels k, Random r) {
        int m = 19, n = 21, kk = 35;
        float[] a = gauss(2 * m * kk, r);
        float[] b = gauss(3 * kk * n, r);
        int[] aOff = new int[6];
        int[] bOff = new int[6];
        float[] want = new float[6 * m * n];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                aOff[i * 3 + j] = i * m * kk;
                bOff[i * 3 + j] = j * kk * n;
                float[] c = KernelCheck.gemm(java.util.Arrays.copyOfRange(a, i * m * kk, (i + 1) * m * kk),
                        java.util.Arrays.copyOfRange(b, j * kk * n, (j + 1) * kk * n), m, n, kk);
                System.arraycopy(c, 0, want, (i * 3 + j) * m * n, m * n);
            }
        }
        try (ClRuntime.Buffer ba = rt.upload(a); ClRuntime.Buffer bb = rt.upload(b); ClRuntime.Buffer bc = rt.allocate(4L * want.length)) {
            k.matmulBatched(ba, aOff, bb, bOff, bc, m, n, kk);
            return compare("matmul batched (broadcast)", want, rt.readFloats(bc, want.length), 1e-5 * Math.sqrt(kk));
        }
    }

    /** [3, 4, 5] padded by (1, 2, 3) before and (2, 0, -1) after: the last axis cropped by one at its end. */
    private static KernelCheck.Check pad(ClRuntime rt, ClKernels k, Random r, ClKernels.PadMode mode) {
        int[] in = {3, 4, 5};
        int[] before = {1, 2, 3};
        int[] after = {2, 0, -1};
        int[] out = new int[3];
        for (int d = 0; d < 3; d++) out[d] = in[d] + before[d] + after[d];
        float[] x = gauss(60, r);
        float[] want = new float[out[0] * out[1] * out[2]];
        int i = 0;
        for (int a = 0; a < out[0]; a++) {
            for (int b = 0; b < out[1]; b++) {
                for (int c = 0; c < out[2]; c++) {
                    int[] idx = {a - before[0], b - before[1], c - before[2]};
                    boolean outside = false;
                    for (int d = 0; d < 3; d++) {
                        int dim = in[d];
                        int v = idx[d];
                        if (v >= 0 && v < dim) continue;
                        switch (mode) {
                            case CONSTANT -> outside = true;
                            case EDGE -> v = v < 0 ? 0 : dim - 1;
                            case WRAP -> v = Math.floorMod(v, dim);
                            case REFLECT -> {
                                // mirror without repeating the edge: -1 -> 1, dim -> dim - 2
                                while (v < 0 || v >= dim) v = v < 0 ? -v : 2 * (dim - 1) - v;
                            }
                        }
                        idx[d] = v;
                    }
                    want[i++] = outside ? 0.25f : x[(idx[0] * in[1] + idx[1]) * in[2] + idx[2]];
                }
            }
        }
        try (ClRuntime.Buffer bx = rt.upload(x); ClRuntime.Buffer by = rt.allocate(4L * want.length)) {
            k.pad(bx, by, in, out, before, mode, 0.25f);
            return compare("pad " + mode.name().toLowerCase(java.util.Locale.ROOT), want, rt.readFloats(by, want.length), 0);
        }
    }
}
