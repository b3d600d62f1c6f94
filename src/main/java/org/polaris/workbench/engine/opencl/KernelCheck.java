package org.polaris.workbench.engine.opencl;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Runs every OpenCL kernel on one device against a plain-Java computation of the same thing, on odd sizes, and
 * reports the largest error per kernel: what {@code polaris-workbench gpu check} and the real-GPU check script run,
 * so a user's own card (and driver) is verified, not just the CI's PoCL.
 */
public final class KernelCheck {

    /** @param maxError largest absolute difference, relative to the largest reference value (0 for exact kernels) */
    public record Check(String kernel, boolean ok, double maxError, String detail) {
    }

    private KernelCheck() {
    }

    public static List<Check> run(ClDevice device) {
        List<Check> out = new ArrayList<>();
        try (ClRuntime rt = ClRuntime.open(device)) {
            ClKernels k = new ClKernels(rt);
            Random r = new Random(7);
            int m = 67, n = 45, kk = 129;
            float[] a = gauss(m * kk, r);
            float[] b = gauss(kk * n, r);
            float[] want = gemm(a, b, m, n, kk);
            out.add(compare("sgemm naive", want, k.sgemm(a, b, m, n, kk, null), 1e-5 * Math.sqrt(kk)));
            for (ClKernels.SgemmParams p : SgemmTuner.candidates(device)) {
                out.add(compare("sgemm " + p, want, k.sgemm(a, b, m, n, kk, p), 1e-5 * Math.sqrt(kk)));
            }
            float[] x = gauss(4099, r);
            float[] y = gauss(4099, r);
            float[] relu = new float[x.length];
            float[] add = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                relu[i] = Math.max(0f, x[i]);
                add[i] = x[i] + y[i];
            }
            out.add(compare("relu", relu, k.relu(x), 0));
            out.add(compare("add", add, k.add(x, y), 0));
            int rows = 37, cols = 19;
            float[] logits = java.util.Arrays.copyOf(x, rows * cols);
            float[] sm = new float[logits.length];
            for (int i = 0; i < rows; i++) {
                double mx = Double.NEGATIVE_INFINITY, s = 0;
                for (int c = 0; c < cols; c++) mx = Math.max(mx, logits[i * cols + c]);
                for (int c = 0; c < cols; c++) s += Math.exp(logits[i * cols + c] - mx);
                for (int c = 0; c < cols; c++) sm[i * cols + c] = (float) (Math.exp(logits[i * cols + c] - mx) / s);
            }
            out.add(compare("softmax", sm, k.softmaxRows(logits, rows, cols), 1e-5));
            out.addAll(convolutions(k, r));
            out.addAll(tensorOps(rt, k, r));
            out.addAll(LayerCheck.run(rt, k, r));
            out.add(csr(k, r));
            out.add(int8(k, r));
            out.add(lif(k, r));
        } catch (RuntimeException e) {
            out.add(new Check("runtime", false, Double.NaN, e.getMessage()));
        }
        return out;
    }

    private static List<Check> convolutions(ClKernels k, Random r) {
        List<Check> out = new ArrayList<>();
        // 2 images, 3 channels, 11 x 9, 5 filters of 3 x 3, stride 2, padding 1, dilation 1; and 1 x 1
        int n = 2, c = 3, h = 11, w = 9, m = 5;
        for (ClKernels.Conv g : new ClKernels.Conv[] {new ClKernels.Conv(3, 3, 2, 2, 1, 1, 1, 1), new ClKernels.Conv(1, 1, 1, 1, 0, 0, 1, 1),
                new ClKernels.Conv(3, 3, 1, 1, 2, 2, 2, 2)}) {
            int oh = g.outH(h, g.ph()), ow = g.outW(w, g.pw());
            float[] x = gauss(n * c * h * w, r);
            float[] wt = gauss(m * c * g.kh() * g.kw(), r);
            float[] bias = gauss(m, r);
            float[] want = LayerCheck.convGrouped(x, wt, bias, new ClKernels.Window(n, c, h, w, m, 1, g, oh, ow));
            String name = String.format(java.util.Locale.ROOT, "conv2d %dx%d s%d p%d d%d", g.kh(), g.kw(), g.sh(), g.ph(), g.dh());
            out.add(compare(name, want, k.conv2d(x, n, c, h, w, wt, m, bias, g, oh, ow, new ClKernels.SgemmParams(16, 4)), 1e-5));
        }
        ClKernels.Conv g = new ClKernels.Conv(3, 3, 2, 2, 1, 1, 1, 1);
        int oh = g.outH(h, 1), ow = g.outW(w, 1);
        float[] x = gauss(c * h * w, r);
        float[] wt = gauss(c * 9, r);
        float[] bias = gauss(c, r);
        out.add(compare("depthwise 3x3 s2 p1", LayerCheck.convGrouped(x, wt, bias, new ClKernels.Window(1, c, h, w, c, c, g, oh, ow)),
                k.depthwise(x, c, h, w, wt, bias, g, oh, ow), 1e-5));
        ClKernels.Conv pool = new ClKernels.Conv(2, 2, 2, 2, 0, 0, 1, 1);
        int ph = pool.outH(h, 0), pw = pool.outW(w, 0);
        float[] want = new float[c * ph * pw];
        for (int ch = 0; ch < c; ch++) {
            for (int oy = 0; oy < ph; oy++) {
                for (int ox = 0; ox < pw; ox++) {
                    float best = Float.NEGATIVE_INFINITY;
                    for (int ky = 0; ky < 2; ky++) for (int kx = 0; kx < 2; kx++) best = Math.max(best, x[(ch * h + oy * 2 + ky) * w + ox * 2 + kx]);
                    want[(ch * ph + oy) * pw + ox] = best;
                }
            }
        }
        out.add(compare("maxpool 2x2 s2", want, k.maxPool(x, c, h, w, pool, ph, pw), 0));
        return out;
    }

    /** The unary ops in the executor's order (FloatMath.Unary), with their Java definitions; p = 0.1, q = 0.7. */
    private static final String[] UNARY = {"relu", "neg", "abs", "sqrt", "reciprocal", "exp", "log", "sigmoid", "tanh",
        "erf", "gelu", "gelu tanh", "hard sigmoid", "hard swish", "leaky relu", "clip", "silu"};

    private static double unaryRef(int op, double x, double p, double q) {
        return switch (op) {
            case 0 -> Math.max(x, 0);
            case 1 -> -x;
            case 2 -> Math.abs(x);
            case 3 -> Math.sqrt(x);
            case 4 -> 1 / x;
            case 5 -> Math.exp(x);
            case 6 -> Math.log(x);
            case 7 -> 1 / (1 + Math.exp(-x));
            case 8 -> Math.tanh(x);
            case 9 -> erf(x);
            case 10 -> 0.5 * x * (1 + erf(x / Math.sqrt(2)));
            case 11 -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            case 12 -> Math.max(0, Math.min(1, p * x + q));
            case 13 -> x * Math.max(0, Math.min(1, x / 6 + 0.5));
            case 14 -> x >= 0 ? x : p * x;
            case 15 -> Math.min(q, Math.max(p, x));
            default -> x / (1 + Math.exp(-x));
        };
    }

    /** erf by its Maclaurin series (|x| < 3 here), to double precision. */
    private static double erf(double x) {
        double term = x;
        double sum = x;
        for (int n = 1; n < 100; n++) {
            term *= -x * x / n;
            sum += term / (2 * n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    /** The general tensor kernels: element-wise, strided copies, reductions, softmax along an axis, 2-D resize. */
    private static List<Check> tensorOps(ClRuntime rt, ClKernels k, Random r) {
        List<Check> out = new ArrayList<>();
        int n = 1031;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextDouble() * 6 - 3);
        float[] pos = new float[n];
        for (int i = 0; i < n; i++) pos[i] = Math.abs(x[i]) + 0.05f;
        for (int op = 0; op < UNARY.length; op++) {
            float[] in = op == 3 || op == 4 || op == 6 ? pos : x;
            float[] want = new float[n];
            for (int i = 0; i < n; i++) want[i] = (float) unaryRef(op, in[i], 0.1, 0.7);
            float[] got;
            try (ClRuntime.Buffer bx = rt.upload(in); ClRuntime.Buffer by = rt.allocate(4L * n)) {
                k.unary(bx, by, n, op, 0.1f, 0.7f);
                got = rt.readFloats(by, n);
            }
            out.add(compare("unary " + UNARY[op], want, got, 2e-6));
        }
        // binary ops, b broadcast over a [3, 5, 7] output as [5, 1]
        int[] dims = {3, 5, 7};
        float[] a = gauss(105, r);
        float[] b = new float[5];
        for (int i = 0; i < 5; i++) b[i] = (float) (r.nextDouble() + 0.5);
        String[] names = {"add", "sub", "mul", "div", "max", "min", "pow"};
        for (int op = 0; op < names.length; op++) {
            float[] want = new float[105];
            for (int i = 0; i < 105; i++) {
                double av = op == 6 ? Math.abs(a[i]) : a[i];
                double bv = b[i / 7 % 5];
                want[i] = (float) switch (op) {
                    case 0 -> av + bv;
                    case 1 -> av - bv;
                    case 2 -> av * bv;
                    case 3 -> av / bv;
                    case 4 -> Math.max(av, bv);
                    case 5 -> Math.min(av, bv);
                    default -> Math.pow(av, bv);
                };
            }
            float[] av = a.clone();
            if (op == 6) for (int i = 0; i < av.length; i++) av[i] = Math.abs(av[i]);
            float[] got;
            try (ClRuntime.Buffer ba = rt.upload(av); ClRuntime.Buffer bb = rt.upload(b);
                 ClRuntime.Buffer by = rt.allocate(4L * 105)) {
                k.binary(ba, bb, by, op, dims, new int[] {35, 7, 1}, new int[] {0, 1, 0});
                got = rt.readFloats(by, 105);
            }
            out.add(compare("binary " + names[op] + " broadcast", want, got, op == 6 ? 2e-6 : 0));
        }
        // transpose [3, 5, 7] -> [7, 3, 5] as a strided copy
        float[] want = new float[105];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 5; j++) for (int l = 0; l < 7; l++) want[(l * 3 + i) * 5 + j] = a[(i * 5 + j) * 7 + l];
        try (ClRuntime.Buffer ba = rt.upload(a); ClRuntime.Buffer by = rt.allocate(4L * 105)) {
            k.stridedCopy(ba, 0, new int[] {1, 35, 7}, by, 0, new int[] {15, 5, 1}, new int[] {7, 3, 5});
            out.add(compare("strided copy (transpose)", want, rt.readFloats(by, 105), 0));
        }
        // Expand [5, 1, 7] (the first 35 floats of a) to [2, 5, 3, 7]: stride 0 along the repeated axes
        float[] expanded = new float[210];
        for (int e = 0; e < 2; e++) for (int j = 0; j < 5; j++) for (int t = 0; t < 3; t++) for (int l = 0; l < 7; l++) {
            expanded[((e * 5 + j) * 3 + t) * 7 + l] = a[j * 7 + l];
        }
        try (ClRuntime.Buffer ba = rt.upload(a); ClRuntime.Buffer by = rt.allocate(4L * 210)) {
            k.stridedCopy(ba, 0, new int[] {0, 7, 0, 1}, by, 0, new int[] {105, 21, 7, 1}, new int[] {2, 5, 3, 7});
            out.add(compare("strided copy (expand)", expanded, rt.readFloats(by, 210), 0));
        }
        // reductions and softmax along the middle axis of [3, 5, 7]
        String[] reds = {"sum", "mean", "max", "min", "sum of squares"};
        for (int op = 0; op < reds.length; op++) {
            float[] w = new float[21];
            for (int i = 0; i < 3; i++) {
                for (int l = 0; l < 7; l++) {
                    double acc = op == 2 ? Double.NEGATIVE_INFINITY : op == 3 ? Double.POSITIVE_INFINITY : 0;
                    for (int j = 0; j < 5; j++) {
                        double v = a[(i * 5 + j) * 7 + l];
                        acc = op == 2 ? Math.max(acc, v) : op == 3 ? Math.min(acc, v) : op == 4 ? acc + v * v : acc + v;
                    }
                    w[i * 7 + l] = (float) (op == 1 ? acc / 5 : acc);
                }
            }
            try (ClRuntime.Buffer ba = rt.upload(a); ClRuntime.Buffer by = rt.allocate(4L * 21)) {
                k.reduceAxis(ba, by, 3, 5, 7, op);
                out.add(compare("reduce " + reds[op], w, rt.readFloats(by, 21), 1e-6));
            }
        }
        for (boolean log : new boolean[] {false, true}) {
            float[] w = new float[105];
            for (int i = 0; i < 3; i++) {
                for (int l = 0; l < 7; l++) {
                    double mx = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < 5; j++) mx = Math.max(mx, a[(i * 5 + j) * 7 + l]);
                    double sum = 0;
                    for (int j = 0; j < 5; j++) sum += Math.exp(a[(i * 5 + j) * 7 + l] - mx);
                    for (int j = 0; j < 5; j++) {
                        double v = a[(i * 5 + j) * 7 + l] - mx;
                        w[(i * 5 + j) * 7 + l] = (float) (log ? v - Math.log(sum) : Math.exp(v) / sum);
                    }
                }
            }
            try (ClRuntime.Buffer ba = rt.upload(a); ClRuntime.Buffer by = rt.allocate(4L * 105)) {
                k.softmaxAxis(ba, by, 3, 5, 7, log);
                out.add(compare(log ? "log-softmax along an axis" : "softmax along an axis", w, rt.readFloats(by, 105), 1e-6));
            }
        }
        // 2-D resize: 2 planes of 5 x 7 to 9 x 4 with two taps per axis (hand-made weights)
        int h = 5, wd = 7, oh = 9, ow = 4;
        int[] ix = new int[ow * 2];
        float[] wx = new float[ow * 2];
        int[] iy = new int[oh * 2];
        float[] wy = new float[oh * 2];
        for (int c = 0; c < ow; c++) {
            ix[2 * c] = Math.min(wd - 1, 2 * c);
            ix[2 * c + 1] = Math.min(wd - 1, 2 * c + 1);
            wx[2 * c] = 0.25f;
            wx[2 * c + 1] = 0.75f;
        }
        for (int rr = 0; rr < oh; rr++) {
            iy[2 * rr] = rr / 2;
            iy[2 * rr + 1] = Math.min(h - 1, rr / 2 + 1);
            wy[2 * rr] = rr % 2 == 0 ? 1f : 0.5f;
            wy[2 * rr + 1] = rr % 2 == 0 ? 0f : 0.5f;
        }
        float[] img = gauss(2 * h * wd, r);
        float[] w = new float[2 * oh * ow];
        for (int p = 0; p < 2; p++) {
            for (int rr = 0; rr < oh; rr++) {
                for (int c = 0; c < ow; c++) {
                    double acc = 0;
                    for (int t = 0; t < 2; t++) {
                        for (int u = 0; u < 2; u++) {
                            acc += wy[2 * rr + t] * wx[2 * c + u] * img[p * h * wd + iy[2 * rr + t] * wd + ix[2 * c + u]];
                        }
                    }
                    w[(p * oh + rr) * ow + c] = (float) acc;
                }
            }
        }
        try (ClRuntime.Buffer bx = rt.upload(img); ClRuntime.Buffer by = rt.allocate(4L * w.length)) {
            k.resize2d(bx, by, 2, h, wd, oh, ow, ix, wx, iy, wy);
            out.add(compare("resize 2-D", w, rt.readFloats(by, w.length), 1e-6));
        }
        return out;
    }

    private static Check csr(ClKernels k, Random r) {
        int rows = 101, cols = 53, batch = 7;
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = r.nextFloat() < 0.85 ? 0f : (float) r.nextGaussian();
        int nnz = 0;
        for (float v : w) if (v != 0f) nnz++;
        int[] ptr = new int[rows + 1];
        int[] idx = new int[nnz];
        float[] vals = new float[nnz];
        int at = 0;
        for (int i = 0; i < rows; i++) {
            for (int c = 0; c < cols; c++) {
                if (w[i * cols + c] != 0f) {
                    idx[at] = c;
                    vals[at++] = w[i * cols + c];
                }
            }
            ptr[i + 1] = at;
        }
        float[] xT = gauss(cols * batch, r);
        float[] want = new float[rows * batch];
        for (int i = 0; i < rows; i++) {
            for (int b = 0; b < batch; b++) {
                double s = 0;
                for (int c = 0; c < cols; c++) s += (double) w[i * cols + c] * xT[c * batch + b];
                want[i * batch + b] = (float) s;
            }
        }
        return compare("csr spmm", want, k.csrSpmm(rows, ptr, idx, vals, xT, batch), 1e-5);
    }

    private static Check int8(ClKernels k, Random r) {
        int m = 13, n = 17, kk = 515;
        byte[] a = new byte[m * kk];
        byte[] b = new byte[kk * n];
        r.nextBytes(a);
        r.nextBytes(b);
        a[0] = -128;
        b[0] = -128;
        int[] got = k.gemmInt8(a, b, m, n, kk);
        long worst = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                int s = 0;
                for (int p = 0; p < kk; p++) s += a[i * kk + p] * b[p * n + j];
                worst = Math.max(worst, Math.abs((long) s - got[i * n + j]));
            }
        }
        return new Check("int8 gemm", worst == 0, worst, worst == 0 ? "exact int32 sums" : "differs by " + worst);
    }

    private static Check lif(ClKernels k, Random r) {
        float[] v = gauss(1023, r);
        float[] in = gauss(1023, r);
        float[] ref = v.clone();
        int[] spikes = k.lifStep(v, in, 0.95f, 1.0f, 0.0f);
        int wrong = 0;
        int fired = 0;
        for (int i = 0; i < ref.length; i++) {
            float nv = ref[i] * 0.95f + in[i];
            boolean s = nv >= 1.0f;
            if ((spikes[i] == 1) != s || v[i] != (s ? 0f : nv)) wrong++;
            if (s) fired++;
        }
        return new Check("lif step", wrong == 0, wrong, fired + " of " + ref.length + " neurons fired; " + wrong + " differ");
    }

    static Check compare(String name, float[] want, float[] got, double tol) {
        double scale = 0;
        for (float w : want) scale = Math.max(scale, Math.abs(w));
        double worst = 0;
        for (int i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(want[i] - got[i]));
        double rel = worst / Math.max(1e-30, scale);
        boolean ok = got.length == want.length && (tol == 0 ? worst == 0 : rel <= tol);
        return new Check(name, ok, rel, String.format(java.util.Locale.ROOT, "%d values, max error %.3g, largest magnitude %.3g",
                want.length, worst, scale));
    }

    static float[] gemm(float[] a, float[] b, int m, int n, int kk) {
        float[] c = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < kk; p++) s += (double) a[i * kk + p] * b[p * n + j];
                c[i * n + j] = (float) s;
            }
        }
        return c;
    }

    static float[] gauss(int n, Random r) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }
}
