package org.polaris.workbench.engine.opencl;

import org.jocl.cl_kernel;

/**
 * The workbench's OpenCL kernels on one device, each with a plain-Java twin in the tests. Inputs are copied to the
 * device, the kernel runs, the result is copied back; {@link #sgemmTimed} reports the kernel time without copies.
 */
public final class ClKernels {

    private static final String SGEMM = "sgemm.cl";
    private static final String OPS = "ops.cl";
    private static final String TENSOR = "tensor.cl";
    private static final String LAYERS = "layers.cl";

    /** Tile size and work per thread of the tiled SGEMM. */
    public record SgemmParams(int tile, int workPerThread) {
        public SgemmParams {
            if (tile < 1 || workPerThread < 1 || tile % workPerThread != 0) {
                throw new IllegalArgumentException("tile " + tile + " must be a positive multiple of work per thread " + workPerThread);
            }
        }

        String options() {
            return "-D TS=" + tile + " -D WPT=" + workPerThread;
        }

        long workGroupSize() {
            return (long) tile / workPerThread * tile;
        }

        @Override
        public String toString() {
            return "tile " + tile + ", " + workPerThread + " per thread";
        }
    }

    private final ClRuntime rt;

    public ClKernels(ClRuntime rt) {
        this.rt = rt;
    }

    public ClRuntime runtime() {
        return rt;
    }

    private static long roundUp(long n, long to) {
        return (n + to - 1) / to * to;
    }

    /** C = A[M,K] B[K,N]; {@code p == null} runs the naive kernel. */
    public float[] sgemm(float[] a, float[] b, int m, int n, int k, SgemmParams p) {
        return sgemmTimed(a, b, m, n, k, p, 1).c();
    }

    /** The product and the median kernel time of {@code runs} runs (copies excluded). */
    public record Timed(float[] c, double medianMs) {
    }

    public Timed sgemmTimed(float[] a, float[] b, int m, int n, int k, SgemmParams p, int runs) {
        check(a.length == (long) m * k && b.length == (long) k * n, "sgemm operand sizes");
        try (ClRuntime.Buffer da = rt.upload(a); ClRuntime.Buffer db = rt.upload(b);
             ClRuntime.Buffer dc = rt.allocate(4L * m * n)) {
            double[] t = new double[Math.max(1, runs)];
            for (int i = 0; i < t.length; i++) {
                long t0 = System.nanoTime();
                gemm(da, db, dc, m, n, k, p);
                t[i] = (System.nanoTime() - t0) / 1e6;
            }
            java.util.Arrays.sort(t);
            return new Timed(rt.readFloats(dc, m * n), t[t.length / 2]);
        }
    }

    public float[] relu(float[] x) {
        try (ClRuntime.Buffer dx = rt.upload(x); ClRuntime.Buffer dy = rt.allocate(4L * x.length)) {
            cl_kernel k = rt.kernel(OPS, "", "relu");
            ClRuntime.args(k, x.length, dx, dy);
            rt.run(k, new long[] {roundUp(x.length, 64)}, new long[] {64});
            return rt.readFloats(dy, x.length);
        }
    }

    public float[] add(float[] a, float[] b) {
        check(a.length == b.length, "add needs equal lengths");
        try (ClRuntime.Buffer da = rt.upload(a); ClRuntime.Buffer db = rt.upload(b);
             ClRuntime.Buffer dy = rt.allocate(4L * a.length)) {
            cl_kernel k = rt.kernel(OPS, "", "add");
            ClRuntime.args(k, a.length, da, db, dy);
            rt.run(k, new long[] {roundUp(a.length, 64)}, new long[] {64});
            return rt.readFloats(dy, a.length);
        }
    }

    public float[] softmaxRows(float[] x, int rows, int cols) {
        check(x.length == (long) rows * cols && cols > 0, "softmax shape");
        try (ClRuntime.Buffer dx = rt.upload(x); ClRuntime.Buffer dy = rt.allocate(4L * x.length)) {
            cl_kernel k = rt.kernel(OPS, "", "softmax_rows");
            ClRuntime.args(k, rows, cols, dx, dy);
            rt.run(k, new long[] {roundUp(rows, 16)}, new long[] {16});
            return rt.readFloats(dy, x.length);
        }
    }

    /** Y^T[rows, batch] = W X^T for W in CSR ({@code ptr} rows + 1 offsets, {@code idx} columns). */
    public float[] csrSpmm(int rows, int[] ptr, int[] idx, float[] vals, float[] xT, int batch) {
        check(ptr.length == rows + 1 && idx.length == vals.length, "CSR arrays");
        try (ClRuntime.Buffer dp = rt.upload(ptr); ClRuntime.Buffer di = rt.upload(idx); ClRuntime.Buffer dv = rt.upload(vals);
             ClRuntime.Buffer dx = rt.upload(xT); ClRuntime.Buffer dy = rt.allocate(4L * rows * batch)) {
            cl_kernel k = rt.kernel(OPS, "", "csr_spmm");
            ClRuntime.args(k, rows, batch, dp, di, dv, dx, dy);
            long lb = Math.min(8, batch);
            rt.run(k, new long[] {roundUp(batch, lb), roundUp(rows, 8)}, new long[] {lb, 8});
            return rt.readFloats(dy, rows * batch);
        }
    }

    /** int32 C = A[M,K] B[K,N] on int8 codes. */
    public int[] gemmInt8(byte[] a, byte[] b, int m, int n, int k) {
        check(a.length == (long) m * k && b.length == (long) k * n, "int8 gemm operand sizes");
        try (ClRuntime.Buffer da = rt.upload(a); ClRuntime.Buffer db = rt.upload(b); ClRuntime.Buffer dc = rt.allocate(4L * m * n)) {
            cl_kernel kern = rt.kernel(OPS, "", "gemm_i8");
            ClRuntime.args(kern, m, n, k, da, db, dc);
            long[] local = {Math.min(16, n), Math.min(16, m)};
            rt.run(kern, new long[] {roundUp(n, local[0]), roundUp(m, local[1])}, local);
            return rt.readInts(dc, m * n);
        }
    }

    /** One LIF step over {@code v} (updated in place); returns the spikes (1 or 0 per neuron). */
    public int[] lifStep(float[] v, float[] input, float decay, float threshold, float reset) {
        check(v.length == input.length, "LIF state and input lengths");
        try (ClRuntime.Buffer dv = rt.allocate(4L * v.length); ClRuntime.Buffer di = rt.upload(input);
             ClRuntime.Buffer ds = rt.allocate(4L * v.length)) {
            rt.write(dv, v);
            cl_kernel k = rt.kernel(OPS, "", "lif_step");
            ClRuntime.args(k, v.length, decay, threshold, reset, dv, di, ds);
            rt.run(k, new long[] {roundUp(v.length, 64)}, new long[] {64});
            float[] nv = rt.readFloats(dv, v.length);
            System.arraycopy(nv, 0, v, 0, v.length);
            return rt.readInts(ds, v.length);
        }
    }

    /** 2-D convolution geometry: kernel, stride, padding (begin; end padding follows from the output size), dilation. */
    public record Conv(int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw) {
        public int outH(int h, int padEnd) {
            return (h + ph + padEnd - dh * (kh - 1) - 1) / sh + 1;
        }

        public int outW(int w, int padEnd) {
            return (w + pw + padEnd - dw * (kw - 1) - 1) / sw + 1;
        }
    }

    /**
     * Convolution of {@code x} [N, C, H, W] with {@code w} [M, C, KH, KW] (group 1) and optional bias [M]: im2col on the
     * device, then the tiled SGEMM with {@code p} (naive when null), then the bias; returns [N, M, OH, OW].
     */
    public float[] conv2d(float[] x, int n, int c, int h, int wd, float[] w, int m, float[] bias, Conv g, int oh, int ow,
                          SgemmParams p) {
        check(x.length == (long) n * c * h * wd && w.length == (long) m * c * g.kh() * g.kw(), "conv shapes");
        int rows = c * g.kh() * g.kw();
        int plane = oh * ow;
        float[] out = new float[n * m * plane];
        try (ClRuntime.Buffer dw = rt.upload(w); ClRuntime.Buffer dcol = rt.allocate(4L * rows * plane);
             ClRuntime.Buffer dy = rt.allocate(4L * m * plane); ClRuntime.Buffer db = rt.upload(bias == null ? new float[1] : bias);
             ClRuntime.Buffer dx = rt.allocate(4L * c * h * wd)) {
            cl_kernel im2col = rt.kernel(OPS, "", "im2col");
            cl_kernel gemm = p == null ? rt.kernel(SGEMM, "", "sgemm_naive") : rt.kernel(SGEMM, p.options(), "sgemm_tiled");
            cl_kernel addBias = rt.kernel(OPS, "", "add_row_bias");
            long[] gl;
            long[] lo;
            if (p == null) {
                lo = new long[] {Math.min(16, plane), Math.min(16, m)};
                gl = new long[] {roundUp(plane, lo[0]), roundUp(m, lo[1])};
            } else {
                lo = new long[] {p.tile() / p.workPerThread(), p.tile()};
                gl = new long[] {roundUp(plane, p.tile()) / p.workPerThread(), roundUp(m, p.tile())};
            }
            float[] img = new float[c * h * wd];
            for (int b = 0; b < n; b++) {
                System.arraycopy(x, b * c * h * wd, img, 0, img.length);
                rt.write(dx, img);
                ClRuntime.args(im2col, c, h, wd, g.kh(), g.kw(), g.sh(), g.sw(), g.ph(), g.pw(), g.dh(), g.dw(), oh, ow, dx, dcol);
                rt.run(im2col, new long[] {roundUp(plane, 16), roundUp(rows, 4)}, new long[] {16, 4});
                ClRuntime.args(gemm, m, plane, rows, dw, dcol, dy);
                rt.run(gemm, gl, lo);
                if (bias != null) {
                    ClRuntime.args(addBias, m, plane, db, dy);
                    rt.run(addBias, new long[] {roundUp(plane, 16), roundUp(m, 4)}, new long[] {16, 4});
                }
                System.arraycopy(rt.readFloats(dy, m * plane), 0, out, b * m * plane, m * plane);
            }
        }
        return out;
    }

    /** Depthwise convolution: {@code x} [C, H, W], {@code w} [C, 1, KH, KW], optional bias [C]; returns [C, OH, OW]. */
    public float[] depthwise(float[] x, int c, int h, int wd, float[] w, float[] bias, Conv g, int oh, int ow) {
        check(x.length == (long) c * h * wd && w.length == (long) c * g.kh() * g.kw(), "depthwise shapes");
        try (ClRuntime.Buffer dx = rt.upload(x); ClRuntime.Buffer dw = rt.upload(w);
             ClRuntime.Buffer db = rt.upload(bias == null ? new float[1] : bias); ClRuntime.Buffer dy = rt.allocate(4L * c * oh * ow)) {
            cl_kernel k = rt.kernel(OPS, "", "depthwise");
            ClRuntime.args(k, c, h, wd, g.kh(), g.kw(), g.sh(), g.sw(), g.ph(), g.pw(), g.dh(), g.dw(), oh, ow, dx, dw, db,
                    bias == null ? 0 : 1, dy, c);
            rt.run(k, new long[] {roundUp(oh * ow, 16), roundUp(c, 4)}, new long[] {16, 4});
            return rt.readFloats(dy, c * oh * ow);
        }
    }

    /** Max pooling of {@code x} [C, H, W] (kernel, stride and begin padding from {@code g}; dilation ignored). */
    public float[] maxPool(float[] x, int c, int h, int wd, Conv g, int oh, int ow) {
        check(x.length == (long) c * h * wd, "maxpool shape");
        try (ClRuntime.Buffer dx = rt.upload(x); ClRuntime.Buffer dy = rt.allocate(4L * c * oh * ow)) {
            cl_kernel k = rt.kernel(OPS, "", "maxpool");
            ClRuntime.args(k, c, h, wd, g.kh(), g.kw(), g.sh(), g.sw(), g.ph(), g.pw(), oh, ow, dx, dy);
            rt.run(k, new long[] {roundUp(oh * ow, 16), roundUp(c, 4)}, new long[] {16, 4});
            return rt.readFloats(dy, c * oh * ow);
        }
    }

    // Device-resident forms: buffers in, buffers out, nothing copied to the host (the engine's OpenCL backend).

    /** C = A[M,K] B[K,N] on device buffers. */
    public void gemm(ClRuntime.Buffer a, ClRuntime.Buffer b, ClRuntime.Buffer c, int m, int n, int k, SgemmParams p) {
        cl_kernel kern;
        long[] global;
        long[] local;
        if (p == null) {
            kern = rt.kernel(SGEMM, "", "sgemm_naive");
            local = new long[] {Math.min(16, n), Math.min(16, m)};
            global = new long[] {roundUp(n, local[0]), roundUp(m, local[1])};
        } else {
            kern = rt.kernel(SGEMM, p.options(), "sgemm_tiled");
            local = new long[] {p.tile() / p.workPerThread(), p.tile()};
            global = new long[] {roundUp(n, p.tile()) / p.workPerThread(), roundUp(m, p.tile())};
        }
        ClRuntime.args(kern, m, n, k, a, b, c);
        rt.run(kern, global, local);
    }

    /** y[i, j] += bias[j] over [M, N]. */
    public void addColBias(ClRuntime.Buffer y, ClRuntime.Buffer bias, int m, int n) {
        cl_kernel k = rt.kernel(OPS, "", "add_col_bias");
        ClRuntime.args(k, m, n, bias, y);
        rt.run(k, new long[] {roundUp(n, 16), roundUp(m, 4)}, new long[] {16, 4});
    }

    /** y[m, p] += bias[m] over [M, P]. */
    public void addRowBias(ClRuntime.Buffer y, ClRuntime.Buffer bias, int m, int p) {
        cl_kernel k = rt.kernel(OPS, "", "add_row_bias");
        ClRuntime.args(k, m, p, bias, y);
        rt.run(k, new long[] {roundUp(p, 16), roundUp(m, 4)}, new long[] {16, 4});
    }

    public void add(ClRuntime.Buffer a, ClRuntime.Buffer b, ClRuntime.Buffer y, int n) {
        cl_kernel k = rt.kernel(OPS, "", "add");
        ClRuntime.args(k, n, a, b, y);
        rt.run(k, new long[] {roundUp(n, 64)}, new long[] {64});
    }

    public void relu(ClRuntime.Buffer x, ClRuntime.Buffer y, int n) {
        cl_kernel k = rt.kernel(OPS, "", "relu");
        ClRuntime.args(k, n, x, y);
        rt.run(k, new long[] {roundUp(n, 64)}, new long[] {64});
    }

    /** im2col of one image [C, H, W] into {@code col} [C*KH*KW, OH*OW]. */
    public void im2col(ClRuntime.Buffer x, ClRuntime.Buffer col, int c, int h, int w, Conv g, int oh, int ow) {
        cl_kernel k = rt.kernel(OPS, "", "im2col");
        ClRuntime.args(k, c, h, w, g.kh(), g.kw(), g.sh(), g.sw(), g.ph(), g.pw(), g.dh(), g.dw(), oh, ow, x, col);
        rt.run(k, new long[] {roundUp((long) oh * ow, 16), roundUp((long) c * g.kh() * g.kw(), 4)}, new long[] {16, 4});
    }

    /**
     * Depthwise convolution over {@code planes} planes (images x channels) on device buffers; plane p uses filter
     * p % channels. {@code bias} may be null.
     */
    public void depthwise(ClRuntime.Buffer x, ClRuntime.Buffer w, ClRuntime.Buffer bias, ClRuntime.Buffer y, int planes,
                          int channels, int h, int wd, Conv g, int oh, int ow) {
        cl_kernel k = rt.kernel(OPS, "", "depthwise");
        ClRuntime.args(k, planes, h, wd, g.kh(), g.kw(), g.sh(), g.sw(), g.ph(), g.pw(), g.dh(), g.dw(), oh, ow, x, w,
                bias == null ? w : bias, bias == null ? 0 : 1, y, channels);
        rt.run(k, new long[] {roundUp((long) oh * ow, 16), roundUp(planes, 4)}, new long[] {16, 4});
    }

    /** The mean of each plane of {@code size} values. */
    public void planeMean(ClRuntime.Buffer x, ClRuntime.Buffer y, int planes, int size) {
        cl_kernel k = rt.kernel(OPS, "", "plane_mean");
        ClRuntime.args(k, planes, size, x, y);
        rt.run(k, new long[] {roundUp(planes, 16)}, new long[] {16});
    }

    /** Softmax of each row of [rows, cols] on device buffers. */
    public void softmaxRows(ClRuntime.Buffer x, ClRuntime.Buffer y, int rows, int cols) {
        cl_kernel k = rt.kernel(OPS, "", "softmax_rows");
        ClRuntime.args(k, rows, cols, x, y);
        rt.run(k, new long[] {roundUp(rows, 16)}, new long[] {16});
    }

    /** {@code y = f(x)} element-wise, {@code op} the ordinal of the engine's unary op, {@code p, q} its attributes. */
    public void unary(ClRuntime.Buffer x, ClRuntime.Buffer y, int n, int op, float p, float q) {
        unary(x, y, n, op, p, q, -1, 0, 0);
    }

    /** As {@link #unary}, then a second unary op {@code post} (with {@code pp, pq}) in the same pass; -1 for none. */
    public void unary(ClRuntime.Buffer x, ClRuntime.Buffer y, int n, int op, float p, float q, int post, float pp, float pq) {
        cl_kernel k = rt.kernel(TENSOR, "", "unary");
        ClRuntime.args(k, n, op, p, q, x, y, post, pp, pq);
        rt.run(k, new long[] {roundUp(n, 64)}, new long[] {64});
    }

    /**
     * {@code y = op(a, b)} with broadcasting over {@code dims} (at most 8), {@code sa}/{@code sb} each operand's
     * strides (0 where it broadcasts); {@code op} the ordinal of the engine's binary op.
     */
    public void binary(ClRuntime.Buffer a, ClRuntime.Buffer b, ClRuntime.Buffer y, int op, int[] dims, int[] sa, int[] sb) {
        binary(a, b, y, op, dims, sa, sb, -1, 0, 0);
    }

    /** As {@link #binary}, then the unary op {@code post} (with {@code pp, pq}) in the same pass; -1 for none. */
    public void binary(ClRuntime.Buffer a, ClRuntime.Buffer b, ClRuntime.Buffer y, int op, int[] dims, int[] sa, int[] sb,
                       int post, float pp, float pq) {
        int n = size(dims);
        try (ClRuntime.Buffer meta = rt.upload(meta(dims, sa, sb))) {
            cl_kernel k = rt.kernel(TENSOR, "", "binary");
            ClRuntime.args(k, n, op, dims.length, meta, a, b, y, post, pp, pq);
            rt.run(k, new long[] {roundUp(n, 64)}, new long[] {64});
        }
    }

    /**
     * Copies a region of {@code dims} (at most 8): element at index (i0..) goes from {@code x[src + sum i*srcStrides]}
     * to {@code y[dst + sum i*dstStrides]}: Transpose, Concat, Slice and Expand are all this.
     */
    public void stridedCopy(ClRuntime.Buffer x, int src, int[] srcStrides, ClRuntime.Buffer y, int dst, int[] dstStrides,
                            int[] dims) {
        int n = size(dims);
        if (n == 0) {
            return;
        }
        try (ClRuntime.Buffer meta = rt.upload(meta(dims, srcStrides, dstStrides))) {
            cl_kernel k = rt.kernel(TENSOR, "", "strided_copy");
            ClRuntime.args(k, n, dims.length, meta, src, x, dst, y);
            rt.run(k, new long[] {roundUp(n, 64)}, new long[] {64});
        }
    }

    /** Reduces [outer, len, inner] along len: op 0 sum, 1 mean, 2 max, 3 min, 4 sum of squares. */
    public void reduceAxis(ClRuntime.Buffer x, ClRuntime.Buffer y, int outer, int len, int inner, int op) {
        cl_kernel k = rt.kernel(TENSOR, "", "reduce_axis");
        ClRuntime.args(k, outer, len, inner, op, x, y);
        rt.run(k, new long[] {roundUp((long) outer * inner, 64)}, new long[] {64});
    }

    /** Softmax, or log-softmax, of [outer, len, inner] along len. */
    public void softmaxAxis(ClRuntime.Buffer x, ClRuntime.Buffer y, int outer, int len, int inner, boolean log) {
        cl_kernel k = rt.kernel(TENSOR, "", "softmax_axis");
        ClRuntime.args(k, outer, len, inner, log ? 1 : 0, x, y);
        rt.run(k, new long[] {roundUp((long) outer * inner, 64)}, new long[] {64});
    }

    /**
     * Separable 2-D resize of {@code planes} planes h x w to oh x ow: each output column takes {@code tx} taps
     * ({@code ix}, {@code wx}), each output row {@code ty} taps of those.
     */
    public void resize2d(ClRuntime.Buffer x, ClRuntime.Buffer y, int planes, int h, int w, int oh, int ow, int[] ix,
                         float[] wx, int[] iy, float[] wy) {
        int tx = ix.length / Math.max(1, ow);
        int ty = iy.length / Math.max(1, oh);
        try (ClRuntime.Buffer bix = rt.upload(ix); ClRuntime.Buffer bwx = rt.upload(wx);
             ClRuntime.Buffer biy = rt.upload(iy); ClRuntime.Buffer bwy = rt.upload(wy)) {
            cl_kernel k = rt.kernel(TENSOR, "", "resize2d");
            ClRuntime.args(k, planes, h, w, oh, ow, tx, ty, bix, bwx, biy, bwy, x, y);
            rt.run(k, new long[] {roundUp(ow, 16), roundUp((long) oh * planes, 4)}, new long[] {16, 4});
        }
    }

    private static int[] meta(int[] dims, int[] s1, int[] s2) {
        if (dims.length > 8) {
            throw new IllegalArgumentException("more than 8 dimensions");
        }
        int[] m = new int[24];
        for (int d = 0; d < dims.length; d++) {
            m[d] = dims[d];
            m[8 + d] = s1[d];
            m[16 + d] = s2[d];
        }
        return m;
    }

    private static int size(int[] dims) {
        long n = 1;
        for (int d : dims) n *= d;
        return Math.toIntExact(n);
    }

    /**
     * The shapes around one 2-D window op on the device: {@code n} images of {@code c} channels of {@code h} x {@code w}
     * in, {@code m} channels of {@code oh} x {@code ow} out, in {@code groups} groups, with window {@code g}.
     */
    public record Window(int n, int c, int h, int w, int m, int groups, Conv g, int oh, int ow) {
        public Window {
            if (n < 0 || c < 1 || m < 1 || groups < 1 || c % groups != 0 || m % groups != 0) {
                throw new IllegalArgumentException("channels " + c + " -> " + m + " do not split into " + groups + " groups");
            }
        }

        int[] meta() {
            return new int[] {n, c, h, w, m, groups, g.kh(), g.kw(), g.sh(), g.sw(), g.ph(), g.pw(), g.dh(), g.dw(), oh, ow};
        }
    }

    /** Grouped convolution of {@code x} [N, C, H, W] by {@code w} [M, C/groups, KH, KW], plus the optional bias. */
    public void convGrouped(ClRuntime.Buffer x, ClRuntime.Buffer w, ClRuntime.Buffer bias, ClRuntime.Buffer y, Window s) {
        window("conv_grouped", x, w, bias, y, s);
    }

    /**
     * Transposed convolution of {@code x} [N, C, H, W] by {@code w} [C, M/groups, KH, KW] into [N, M, OH, OW] (the
     * pads in {@code s.g()} are the begin pads of the output; output padding is in OH/OW), plus the optional bias.
     */
    public void convTranspose(ClRuntime.Buffer x, ClRuntime.Buffer w, ClRuntime.Buffer bias, ClRuntime.Buffer y, Window s) {
        window("conv_transpose", x, w, bias, y, s);
    }

    private void window(String name, ClRuntime.Buffer x, ClRuntime.Buffer w, ClRuntime.Buffer bias, ClRuntime.Buffer y, Window s) {
        try (ClRuntime.Buffer meta = rt.upload(s.meta())) {
            cl_kernel k = rt.kernel(LAYERS, "", name);
            ClRuntime.args(k, meta, x, w, bias == null ? w : bias, bias == null ? 0 : 1, y);
            rt.run(k, new long[] {roundUp((long) s.oh() * s.ow(), 16), roundUp((long) s.n() * s.m(), 4)}, new long[] {16, 4});
        }
    }

    /**
     * 2-D average pooling of [N, C, H, W] ({@code s.m() == s.c()}); with {@code includePad} the divisor counts padded
     * cells up to the end pads {@code padEndH}, {@code padEndW}.
     */
    public void avgPool(ClRuntime.Buffer x, ClRuntime.Buffer y, Window s, int padEndH, int padEndW, boolean includePad) {
        try (ClRuntime.Buffer meta = rt.upload(s.meta())) {
            cl_kernel k = rt.kernel(LAYERS, "", "avgpool");
            ClRuntime.args(k, meta, padEndH, padEndW, includePad ? 1 : 0, x, y);
            rt.run(k, new long[] {roundUp((long) s.oh() * s.ow(), 16), roundUp((long) s.n() * s.c(), 4)}, new long[] {16, 4});
        }
    }

    /**
     * Layer normalization of each of {@code rows} rows of {@code len}: scale and bias hold {@code len} values each, or
     * one (stride 0); {@code bias} may be null.
     */
    public void layerNorm(ClRuntime.Buffer x, ClRuntime.Buffer y, int rows, int len, float eps, ClRuntime.Buffer scale,
                          boolean scalePerElement, ClRuntime.Buffer bias, boolean biasPerElement) {
        cl_kernel k = rt.kernel(LAYERS, "", "layer_norm");
        ClRuntime.args(k, rows, len, eps, x, scale, scalePerElement ? 1 : 0, bias == null ? scale : bias,
                biasPerElement ? 1 : 0, bias == null ? 0 : 1, y);
        rt.run(k, new long[] {roundUp(rows, 16)}, new long[] {16});
    }

    /**
     * {@code aOff.length} products C[b] = A[aOff[b]..] x B[bOff[b]..] of [M, K] by [K, N], written one after another
     * into {@code c}.
     */
    public void matmulBatched(ClRuntime.Buffer a, int[] aOff, ClRuntime.Buffer b, int[] bOff, ClRuntime.Buffer c, int m,
                              int n, int k) {
        check(aOff.length == bOff.length && aOff.length > 0, "batched product offsets");
        try (ClRuntime.Buffer da = rt.upload(aOff); ClRuntime.Buffer db = rt.upload(bOff)) {
            cl_kernel kern = rt.kernel(LAYERS, "", "matmul_batched");
            ClRuntime.args(kern, m, n, k, da, db, a, b, c);
            rt.run(kern, new long[] {roundUp(n, 16), roundUp(m, 16), aOff.length}, new long[] {16, 16, 1});
        }
    }

    /** The largest hidden size the recurrent kernels hold in local memory (RNN_MAX_HIDDEN in layers.cl). */
    public static final int RNN_MAX_HIDDEN = 1024;

    /** Shape of one LSTM or GRU node: sequence, batch, input and hidden sizes, directions, first direction reversed. */
    public record Recurrence(int seq, int batch, int input, int hidden, int dirs, boolean reverse) {
    }

    /**
     * A whole LSTM sequence, every direction ({@code layers.cl}: one work-group per batch row and direction): ONNX
     * layouts, default activations; {@code b}, {@code p}, {@code h0}, {@code c0} zero-filled when the node has none.
     */
    public void lstm(Recurrence s, ClRuntime.Buffer x, ClRuntime.Buffer w, ClRuntime.Buffer r, ClRuntime.Buffer b,
                     ClRuntime.Buffer p, ClRuntime.Buffer h0, ClRuntime.Buffer c0, ClRuntime.Buffer y,
                     ClRuntime.Buffer yh, ClRuntime.Buffer yc) {
        check(s.hidden() <= RNN_MAX_HIDDEN, "LSTM hidden size");
        cl_kernel k = rt.kernel(LAYERS, "", "lstm");
        ClRuntime.args(k, s.seq(), s.batch(), s.input(), s.hidden(), s.reverse() ? 1 : 0, x, w, r, b, p, h0, c0, y, yh, yc);
        int local = rnnLocal(s.hidden());
        rt.run(k, new long[] {(long) s.batch() * local, s.dirs()}, new long[] {local, 1});
    }

    /** A whole GRU sequence, as {@link #lstm} (no cell state). */
    public void gru(Recurrence s, boolean linearBeforeReset, ClRuntime.Buffer x, ClRuntime.Buffer w, ClRuntime.Buffer r,
                    ClRuntime.Buffer b, ClRuntime.Buffer h0, ClRuntime.Buffer y, ClRuntime.Buffer yh) {
        check(s.hidden() <= RNN_MAX_HIDDEN, "GRU hidden size");
        cl_kernel k = rt.kernel(LAYERS, "", "gru");
        ClRuntime.args(k, s.seq(), s.batch(), s.input(), s.hidden(), s.reverse() ? 1 : 0, linearBeforeReset ? 1 : 0, x,
                w, r, b, h0, y, yh);
        int local = rnnLocal(s.hidden());
        rt.run(k, new long[] {(long) s.batch() * local, s.dirs()}, new long[] {local, 1});
    }

    /** Work-items per recurrent work-group: the hidden units rounded up to 16, at most 64 (each takes several units). */
    private static int rnnLocal(int hidden) {
        return (int) Math.max(16, Math.min(64, roundUp(hidden, 16)));
    }

    /** RoiAlign's attributes: output bins, sampling ratio (0 adaptive), spatial scale, half-pixel coordinates, max mode. */
    public record RoiAlign(int oh, int ow, int ratio, float scale, boolean halfPixel, boolean max) {
    }

    /**
     * RoiAlign of {@code count} rois ([count][4] x1, y1, x2, y2, batch index each) over x [n][c][h][w] into
     * [count][c][oh][ow].
     */
    public void roiAlign(ClRuntime.Buffer x, int c, int h, int w, float[] rois, int[] batch, RoiAlign a, ClRuntime.Buffer y) {
        int count = batch.length;
        int n = count * c * a.oh() * a.ow();
        if (n == 0) {
            return;
        }
        try (ClRuntime.Buffer br = rt.upload(rois, rois.length); ClRuntime.Buffer bb = rt.upload(batch)) {
            cl_kernel k = rt.kernel(LAYERS, "", "roi_align");
            ClRuntime.args(k, count, c, h, w, a.oh(), a.ow(), a.ratio(), a.scale(), a.halfPixel() ? 1 : 0, a.max() ? 1 : 0,
                    x, br, bb, y);
            rt.run(k, new long[] {roundUp(n, 64)}, new long[] {64});
        }
    }

    /** Gather along one axis: x as [outer][len][inner], {@code index} in [0, len), y [outer][index.length][inner]. */
    public void gather(ClRuntime.Buffer x, int outer, int len, int inner, int[] index, ClRuntime.Buffer y) {
        long n = (long) outer * index.length * inner;
        if (n == 0) {
            return;
        }
        check(n <= Integer.MAX_VALUE, "gather size");
        try (ClRuntime.Buffer bi = rt.upload(index)) {
            cl_kernel k = rt.kernel(TENSOR, "", "gather");
            ClRuntime.args(k, outer, index.length, len, inner, bi, x, y);
            rt.run(k, new long[] {roundUp(n, 64)}, new long[] {64});
        }
    }

    /** {@code y[target[i]] = updates[i]} for every i (distinct targets): ScatterElements on a copy of its data. */
    public void scatter(int[] target, ClRuntime.Buffer updates, ClRuntime.Buffer y) {
        if (target.length == 0) {
            return;
        }
        try (ClRuntime.Buffer bt = rt.upload(target)) {
            cl_kernel k = rt.kernel(TENSOR, "", "scatter");
            ClRuntime.args(k, target.length, bt, updates, y);
            rt.run(k, new long[] {roundUp(target.length, 64)}, new long[] {64});
        }
    }

    /** Padding modes of the pad kernel, in its order. */
    public enum PadMode { CONSTANT, REFLECT, EDGE, WRAP }

    /**
     * Pads {@code x} of {@code in} dims (at most 8) to {@code out} dims, {@code begin[d]} cells before each dimension
     * (negative crops); cells outside the input take {@code value} or the {@code mode}'s mirror of an input cell.
     */
    public void pad(ClRuntime.Buffer x, ClRuntime.Buffer y, int[] in, int[] out, int[] begin, PadMode mode, float value) {
        int n = size(out);
        if (n == 0) {
            return;
        }
        check(in.length == out.length && begin.length == in.length && in.length <= 8, "pad ranks");
        int[] meta = new int[32];
        int stride = 1;
        for (int d = in.length - 1; d >= 0; d--) {
            meta[d] = out[d];
            meta[8 + d] = in[d];
            meta[16 + d] = begin[d];
            meta[24 + d] = stride;
            stride *= in[d];
        }
        try (ClRuntime.Buffer dm = rt.upload(meta)) {
            cl_kernel k = rt.kernel(LAYERS, "", "pad");
            ClRuntime.args(k, n, in.length, dm, mode.ordinal(), value, x, y);
            rt.run(k, new long[] {roundUp(n, 64)}, new long[] {64});
        }
    }

    /** Max pooling over {@code channels} planes of H x W (images x channels for a batch). */
    public void maxPool(ClRuntime.Buffer x, ClRuntime.Buffer y, int channels, int h, int w, Conv g, int oh, int ow) {
        cl_kernel k = rt.kernel(OPS, "", "maxpool");
        ClRuntime.args(k, channels, h, w, g.kh(), g.kw(), g.sh(), g.sw(), g.ph(), g.pw(), oh, ow, x, y);
        rt.run(k, new long[] {roundUp((long) oh * ow, 16), roundUp(channels, 4)}, new long[] {16, 4});
    }

    /**
     * A population's state on the device for {@link #lifFull}: membrane, refractory counters, input, bias, spike flags.
     */
    public final class LifState implements AutoCloseable {
        final int n;
        final ClRuntime.Buffer v;
        final ClRuntime.Buffer refr;
        final ClRuntime.Buffer input;
        final ClRuntime.Buffer bias;
        final ClRuntime.Buffer spikes;
        final boolean hasBias;

        LifState(float[] v0, int[] refr0, float[] bias0) {
            n = v0.length;
            v = rt.upload(v0, n);
            refr = rt.upload(refr0);
            input = rt.allocate(4L * n);
            hasBias = bias0 != null;
            bias = rt.upload(bias0 != null ? bias0 : new float[1], bias0 != null ? n : 1);
            spikes = rt.allocate(4L * n);
        }

        @Override
        public void close() {
            v.close();
            refr.close();
            input.close();
            bias.close();
            spikes.close();
        }
    }

    public LifState lifState(float[] v0, int[] refr0, float[] bias0) {
        return new LifState(v0, refr0, bias0);
    }

    /**
     * One full LIF step on the device: uploads {@code input} (n values), integrates, and reads back the spike flags
     * and membrane potentials into {@code spikesOut} and {@code vOut}.
     */
    public void lifFull(LifState st, float[] input, float decay, float rest, float thresh, float resetV, boolean subtract,
                        int refrSteps, int[] spikesOut, float[] vOut) {
        rt.writeFloats(st.input, input, st.n);
        cl_kernel k = rt.kernel(OPS, "", "lif_full");
        ClRuntime.args(k, st.n, decay, rest, thresh, resetV, subtract ? 1 : 0, refrSteps, st.v, st.refr, st.input, st.bias,
                st.hasBias ? 1 : 0, st.spikes);
        rt.run(k, new long[] {roundUp(st.n, 64)}, new long[] {64});
        rt.readIntsInto(st.spikes, spikesOut, st.n);
        rt.readInto(st.v, vOut, st.n);
    }

    /** Device-to-device copy bandwidth in GB/s (bytes read + written), median of {@code runs}. */
    public double copyBandwidth(int floats, int runs) {
        int n4 = floats / 4;
        try (ClRuntime.Buffer dx = rt.allocate(16L * n4); ClRuntime.Buffer dy = rt.allocate(16L * n4)) {
            cl_kernel k = rt.kernel(OPS, "", "copy4");
            ClRuntime.args(k, n4, dx, dy);
            double[] t = new double[Math.max(1, runs)];
            rt.run(k, new long[] {roundUp(n4, 64)}, new long[] {64});
            for (int i = 0; i < t.length; i++) {
                long t0 = System.nanoTime();
                rt.run(k, new long[] {roundUp(n4, 64)}, new long[] {64});
                t[i] = (System.nanoTime() - t0) / 1e9;
            }
            java.util.Arrays.sort(t);
            return 2.0 * 16 * n4 / t[t.length / 2] / 1e9;
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalArgumentException("OpenCL kernel arguments do not fit: " + what);
        }
    }
}
