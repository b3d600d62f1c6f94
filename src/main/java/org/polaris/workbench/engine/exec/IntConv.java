package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.Node;

/**
 * Integer convolution for quantized layers: zero-point-shifted int8/uint8 codes (held as int) multiply and
 * accumulate in int32, exactly, as ONNX specifies for QLinearConv. im2col + an int GEMM whose inner loop runs
 * along a row of B and C (the JIT vectorizes int multiply-add there), or a direct loop for depthwise layers.
 * {@link #reference} is the plain nested loop the fast paths are tested against.
 */
final class IntConv {

    private IntConv() {
    }

    /** A convolution's attributes resolved for an input of h x w: strides, dilations, output size, begin pads. */
    private record Geometry(int group, int[] s, int[] d, int oh, int ow, int py, int px) {
        static Geometry of(Node node, int h, int w, int kh, int kw) {
            int[] s = Attrs.ints(node, "strides", new int[] {1, 1});
            int[] d = Attrs.ints(node, "dilations", new int[] {1, 1});
            int[] pads = Attrs.ints(node, "pads", new int[] {0, 0, 0, 0});
            String autoPad = Attrs.s(node, "auto_pad", "NOTSET");
            int[] gy = ConvKernels.geometry(autoPad, h, kh, s[0], d[0], pads[0], pads[2], false);
            int[] gx = ConvKernels.geometry(autoPad, w, kw, s[1], d[1], pads[1], pads[3], false);
            return new Geometry((int) Attrs.i(node, "group", 1), s, d, gy[0], gx[0], gy[1], gx[1]);
        }
    }

    /** Float partial sums of integers stay exact while every partial sum is at most 2^24 in magnitude. */
    private static final long EXACT = 1L << 24;

    /**
     * int32 accumulators [N, M, oh, ow] of x (shape xShape) and w (shape wShape), both already zero-point-shifted.
     * Input channels are cut into chunks small enough that {@code taps * max|x| * max|w| <= 2^24}: within a chunk
     * every product and partial sum is an integer a float holds exactly, so the chunk runs through the float
     * convolution and its SIMD GEMM without rounding, and the chunks' results add up in int32. Where even one
     * channel's window could exceed the bound (or for grouped layers), the int GEMM path below runs instead.
     */
    static int[] conv(EnginePool pool, Node node, int[] x, int[] xShape, int[] w, int[] wShape, int[] outShape) {
        if (xShape.length != 4 || wShape.length != 4) {
            throw new IllegalArgumentException("QLinearConv is implemented for 2-D images (rank 4), got rank "
                    + xShape.length);
        }
        int group = (int) Attrs.i(node, "group", 1);
        int batch = xShape[0], c = xShape[1], h = xShape[2], wd = xShape[3];
        int m = wShape[0], cg = wShape[1], taps = wShape[2] * wShape[3];
        long maxProduct = (long) Math.max(1, maxAbs(x)) * Math.max(1, maxAbs(w));
        long perChannel = taps * maxProduct;
        boolean depthwise = group == c && group == m && cg == 1;
        if (perChannel > EXACT || (group != 1 && !(depthwise))) {
            return intConv(pool, node, x, xShape, w, wShape, outShape);
        }
        int chunk = depthwise ? c : (int) Math.max(1, Math.min(c, EXACT / perChannel));
        int[] acc = null;
        for (int c0 = 0; c0 < c; c0 += chunk) {
            int cc = Math.min(chunk, c - c0);
            float[] xf = new float[batch * cc * h * wd];
            for (int b = 0; b < batch; b++) {
                int src = (b * c + c0) * h * wd, dst = b * cc * h * wd;
                for (int i = 0; i < cc * h * wd; i++) xf[dst + i] = x[src + i];
            }
            float[] wf;
            int[] wsShape;
            if (depthwise) {
                wf = toFloats(w);
                wsShape = wShape;
            } else {
                wf = new float[m * cc * taps];
                for (int o = 0; o < m; o++) {
                    int src = (o * c + c0) * taps, dst = o * cc * taps;
                    for (int i = 0; i < cc * taps; i++) wf[dst + i] = w[src + i];
                }
                wsShape = new int[] {m, cc, wShape[2], wShape[3]};
            }
            Value y = ConvKernels.conv(pool, node, Value.floats(new int[] {batch, cc, h, wd}, xf),
                    Value.floats(wsShape, wf), null);
            if (acc == null) {
                acc = new int[y.size()];
                System.arraycopy(y.shape, 0, outShape, 0, 4);
            }
            for (int i = 0; i < acc.length; i++) {
                acc[i] += (int) y.f[i];
            }
            Buffers.release(y.f);
        }
        return acc;
    }

    /** Weights as float per shifted-weight array (those are cached per initializer, so this is once per layer). */
    private static final java.util.Map<int[], float[]> FLOAT_WEIGHTS =
            java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());
    private static final java.util.Map<int[], Integer> MAX_WEIGHT =
            java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    /**
     * The float accumulators of a convolution that fits one exact chunk (every partial sum within 2^24, group 1 or
     * depthwise), straight from the input codes (zero point subtracted while converting) and the cached float
     * weights; null when it does not fit, for the chunked and int32 paths. The caller owns the (arena) array.
     * {@code constantWeights}: w was made once from a session constant, so its float copy counts as one too.
     */
    static float[] exactFloat(EnginePool pool, Node node, Value x, Value xZp, int[] w, int[] wShape, int[] outShape,
                              boolean constantWeights) {
        int[] xShape = x.shape;
        if (xShape.length != 4 || wShape.length != 4 || x.b == null) {
            return null;
        }
        int group = (int) Attrs.i(node, "group", 1);
        int c = xShape[1];
        int m = wShape[0], cg = wShape[1], taps = wShape[2] * wShape[3];
        boolean depthwise = group == c && group == m && cg == 1;
        if (group != 1 && !depthwise) {
            return null;
        }
        boolean unsigned = x.type == org.polaris.workbench.engine.model.DataType.UINT8;
        int z = xZp == null ? 0 : (int) xZp.get(0);
        if (xZp != null && xZp.size() != 1) {
            return null;
        }
        int n = x.size();
        int maxW = MAX_WEIGHT.computeIfAbsent(w, IntConv::maxAbs);
        long reach = (long) taps * Math.max(1, maxW) * (depthwise ? 1 : c);
        // the widest shifted code the type allows; only where that could pass 2^24 are the actual codes scanned
        int widest = unsigned ? Math.max(z, 255 - z) : Math.max(Math.abs(-128 - z), Math.abs(127 - z));
        if (reach * Math.max(1, widest) > EXACT && reach * Math.max(1, widest(x, n, unsigned, z)) > EXACT) {
            return null;
        }
        float[] xf = Buffers.uninitialized(n); // every element is written below
        int done = QLinearKernels.LANES.codesToFloats(x.b, n, unsigned, z, xf);
        if (unsigned) {
            for (int i = done; i < n; i++) xf[i] = (x.b[i] & 0xff) - z;
        } else {
            for (int i = done; i < n; i++) xf[i] = x.b[i] - z;
        }
        float[] wf = FLOAT_WEIGHTS.computeIfAbsent(w, IntConv::toFloats);
        if (constantWeights) {
            Buffers.adoptConstant(wf);
        }
        Value y = ConvKernels.conv(pool, node, Value.floats(xShape, xf), Value.floats(wShape, wf), null);
        Buffers.release(xf);
        System.arraycopy(y.shape, 0, outShape, 0, 4);
        return y.f;
    }

    /** The largest |code - z| over the first n codes of x. */
    private static int widest(Value x, int n, boolean unsigned, int z) {
        int[] loHi = {Integer.MAX_VALUE, Integer.MIN_VALUE};
        int start = QLinearKernels.LANES.range(x.b, n, unsigned, loHi);
        int lo = loHi[0];
        int hi = loHi[1];
        if (unsigned) {
            for (int i = start; i < n; i++) {
                int v = x.b[i] & 0xff;
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
        } else {
            for (int i = start; i < n; i++) {
                lo = Math.min(lo, x.b[i]);
                hi = Math.max(hi, x.b[i]);
            }
        }
        return n == 0 ? 0 : Math.max(Math.abs(lo - z), Math.abs(hi - z));
    }

    /**
     * C = A [m, k] x B [k, n] on zero-point-shifted integer codes, exactly in int32: K is cut into chunks whose
     * partial sums stay within 2^24, each a float GEMM (SIMD), the chunks added in int. B's float copies are cached
     * per B array (weights: shifted once per initializer).
     */
    static int[] gemm(EnginePool pool, int m, int n, int k, int[] a, int[] b) {
        long product = (long) Math.max(1, maxAbs(a)) * Math.max(1, MAX_WEIGHT.computeIfAbsent(b, IntConv::maxAbs));
        int chunk = (int) Math.max(1, Math.min(k, EXACT / product));
        int[] acc = new int[m * n];
        float[] bf = FLOAT_WEIGHTS.computeIfAbsent(b, IntConv::toFloats);
        float[] af = new float[m * chunk];
        float[] cf = new float[m * n];
        for (int k0 = 0; k0 < k; k0 += chunk) {
            int kc = Math.min(chunk, k - k0);
            for (int i = 0; i < m; i++) {
                for (int p = 0; p < kc; p++) af[i * kc + p] = a[i * k + k0 + p];
            }
            java.util.Arrays.fill(cf, 0f);
            Gemm.multiply(pool, m, n, kc, af, 0, bf, k0 * n, cf, 0);
            for (int i = 0; i < acc.length; i++) acc[i] += (int) cf[i];
        }
        return acc;
    }

    private static int maxAbs(int[] v) {
        int m = 0;
        for (int a : v) m = Math.max(m, Math.abs(a));
        return m;
    }

    private static float[] toFloats(int[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = v[i];
        return f;
    }

    /** The int32 path: im2col and an int GEMM (or a direct depthwise loop), for layers the float chunks cannot take. */
    static int[] intConv(EnginePool pool, Node node, int[] x, int[] xShape, int[] w, int[] wShape, int[] outShape) {
        int batch = xShape[0], c = xShape[1], h = xShape[2], wd = xShape[3];
        int m = wShape[0], kh = wShape[2], kw = wShape[3];
        Geometry g = Geometry.of(node, h, wd, kh, kw);
        int group = g.group(), oh = g.oh(), ow = g.ow(), py = g.py(), px = g.px();
        int[] s = g.s(), d = g.d();
        outShape[0] = batch;
        outShape[1] = m;
        outShape[2] = oh;
        outShape[3] = ow;
        int cg = c / group, mg = m / group;
        int kSize = cg * kh * kw;
        int plane = oh * ow;
        int[] out = new int[batch * m * plane];
        if (cg == 1 && mg == 1) {
            pool.parallelFor(batch * c, 4, bc -> depthwise(x, bc * h * wd, h, wd, w, (bc % c) * kh * kw, kh, kw, out,
                    bc * plane, oh, ow, s, d, py, px));
            return out;
        }
        boolean pointwise = kh == 1 && kw == 1 && s[0] == 1 && s[1] == 1 && py == 0 && px == 0 && oh == h && ow == wd;
        int[] col = pointwise ? null : new int[kSize * plane];
        for (int b = 0; b < batch; b++) {
            for (int gi = 0; gi < group; gi++) {
                int inOff = (b * c + gi * cg) * h * wd;
                int[] src;
                int srcOff;
                if (pointwise) {
                    src = x;
                    srcOff = inOff;
                } else {
                    im2col(x, inOff, cg, h, wd, kh, kw, oh, ow, s, d, py, px, col);
                    src = col;
                    srcOff = 0;
                }
                int wOff = gi * mg * kSize, cOff = (b * m + gi * mg) * plane;
                pool.parallelFor((mg + 3) / 4, (long) mg * plane * kSize < 1 << 16 ? Integer.MAX_VALUE : 1,
                        q -> rows(4 * q, Math.min(mg, 4 * q + 4), plane, kSize, w, wOff, src, srcOff, out, cOff));
            }
        }
        return out;
    }

    /** C[r0..r1) += A * B for int matrices, four rows of C per pass over a row of B. */
    private static void rows(int r0, int r1, int n, int k, int[] a, int aOff, int[] b, int bOff, int[] c, int cOff) {
        int i = r0;
        for (; i + 3 < r1; i += 4) {
            int c0 = cOff + i * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
            int a0 = aOff + i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
            for (int p = 0; p < k; p++) {
                int v0 = a[a0 + p], v1 = a[a1 + p], v2 = a[a2 + p], v3 = a[a3 + p];
                int bi = bOff + p * n;
                for (int j = 0; j < n; j++) {
                    int bv = b[bi + j];
                    c[c0 + j] += v0 * bv;
                    c[c1 + j] += v1 * bv;
                    c[c2 + j] += v2 * bv;
                    c[c3 + j] += v3 * bv;
                }
            }
        }
        for (; i < r1; i++) {
            int ci = cOff + i * n, ai = aOff + i * k;
            for (int p = 0; p < k; p++) {
                int av = a[ai + p];
                int bi = bOff + p * n;
                for (int j = 0; j < n; j++) {
                    c[ci + j] += av * b[bi + j];
                }
            }
        }
    }

    private static void im2col(int[] x, int off, int c, int h, int w, int kh, int kw, int oh, int ow, int[] s,
                               int[] d, int py, int px, int[] col) {
        int plane = oh * ow;
        for (int ch = 0; ch < c; ch++) {
            for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++) {
                    int row = ((ch * kh + ky) * kw + kx) * plane;
                    int dx = kx * d[1] - px;
                    for (int y = 0; y < oh; y++) {
                        int iy = y * s[0] - py + ky * d[0];
                        int dst = row + y * ow;
                        if (iy < 0 || iy >= h) {
                            java.util.Arrays.fill(col, dst, dst + ow, 0);
                            continue;
                        }
                        int src = off + (ch * h + iy) * w;
                        for (int xo = 0; xo < ow; xo++) {
                            int ix = xo * s[1] + dx;
                            col[dst + xo] = ix >= 0 && ix < w ? x[src + ix] : 0;
                        }
                    }
                }
            }
        }
    }

    private static void depthwise(int[] x, int inOff, int h, int w, int[] k, int kOff, int kh, int kw, int[] out,
                                  int outOff, int oh, int ow, int[] s, int[] d, int py, int px) {
        // output columns whose whole window row lies inside the image: no bounds checks there
        int x0 = Math.min(ow, Math.max(0, -Math.floorDiv(-px, s[1])));
        int x1 = Math.max(x0, Math.min(ow, Math.floorDiv(w - 1 - (kw - 1) * d[1] + px, s[1]) + 1));
        for (int y = 0; y < oh; y++) {
            int y0 = y * s[0] - py;
            boolean rowInside = y0 >= 0 && y0 + (kh - 1) * d[0] < h;
            if (rowInside) {
                for (int ky = 0; ky < kh; ky++) {
                    int row = inOff + (y0 + ky * d[0]) * w - px;
                    for (int kx = 0; kx < kw; kx++) {
                        int kv = k[kOff + ky * kw + kx];
                        int src = row + kx * d[1];
                        int dst = outOff + y * ow;
                        if (s[1] == 1) {
                            for (int xo = x0; xo < x1; xo++) out[dst + xo] += kv * x[src + xo];
                        } else {
                            for (int xo = x0; xo < x1; xo++) out[dst + xo] += kv * x[src + xo * s[1]];
                        }
                    }
                }
            }
            for (int xo = 0; xo < ow; xo++) {
                if (rowInside && xo >= x0 && xo < x1) {
                    xo = x1 - 1;
                    continue;
                }
                int acc = 0;
                for (int ky = 0; ky < kh; ky++) {
                    int iy = y0 + ky * d[0];
                    if (iy < 0 || iy >= h) continue;
                    for (int kx = 0; kx < kw; kx++) {
                        int ix = xo * s[1] - px + kx * d[1];
                        if (ix < 0 || ix >= w) continue;
                        acc += k[kOff + ky * kw + kx] * x[inOff + iy * w + ix];
                    }
                }
                out[outOff + y * ow + xo] = acc;
            }
        }
    }

    /** The definition, one output at a time, for tests. */
    static int[] reference(Node node, int[] x, int[] xShape, int[] w, int[] wShape) {
        int batch = xShape[0], c = xShape[1], h = xShape[2], wd = xShape[3];
        int m = wShape[0], kh = wShape[2], kw = wShape[3];
        Geometry g = Geometry.of(node, h, wd, kh, kw);
        int group = g.group(), oh = g.oh(), ow = g.ow();
        int[] s = g.s(), d = g.d();
        int cg = c / group, mg = m / group;
        int[] out = new int[batch * m * oh * ow];
        for (int b = 0; b < batch; b++)
            for (int oc = 0; oc < m; oc++)
                for (int y = 0; y < oh; y++)
                    for (int xo = 0; xo < ow; xo++) {
                        int acc = 0;
                        for (int ic = 0; ic < cg; ic++)
                            for (int ky = 0; ky < kh; ky++)
                                for (int kx = 0; kx < kw; kx++) {
                                    int iy = y * s[0] - g.py() + ky * d[0], ix = xo * s[1] - g.px() + kx * d[1];
                                    if (iy >= 0 && iy < h && ix >= 0 && ix < wd) {
                                        int ch = (oc / mg) * cg + ic;
                                        acc += w[((oc * cg + ic) * kh + ky) * kw + kx] * x[((b * c + ch) * h + iy) * wd + ix];
                                    }
                                }
                        out[((b * m + oc) * oh + y) * ow + xo] = acc;
                    }
        return out;
    }
}
