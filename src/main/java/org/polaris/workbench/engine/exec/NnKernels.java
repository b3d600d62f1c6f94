package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.sparse.SparseMatrix;

import java.util.Arrays;
import java.util.Map;

/** Gemm, MatMul, pooling and BatchNormalization. */
final class NnKernels {

    private NnKernels() {
    }

    static void register(Map<String, Kernel> k, EnginePool pool, SparseWeights sparse) {
        k.put("Gemm", (n, in, o) -> {
            Value y = gemm(pool, sparse, n, in[0], in[1], in.length > 2 ? in[2] : null);
            LoadTimeRewrites.activate(n, y.f);
            return new Value[] {y};
        });
        k.put("MatMul", (n, in, o) -> {
            SparseMatrix s = in[0].rank() == 2 && in[1].rank() == 2 ? sparse.get(n.inputs().get(1)) : null;
            Value y = s != null ? sparseOrDense(pool, sparse, n.inputs().get(1), s, in[0].f, in[0].shape[0], in[1].f, null)
                    : null;
            if (y == null) {
                y = matmul(pool, in[0], in[1]);
            }
            LoadTimeRewrites.activate(n, y.f);
            return new Value[] {y};
        });
        k.put("MaxPool", (n, in, o) -> {
            boolean indices = n.outputs().size() > 1 && !n.outputs().get(1).isEmpty();
            return in[0].rank() == 4 && in[0].type == DataType.FLOAT && !indices
                    ? new Value[] {pooling(pool, n, in[0], true)} : poolingNd(n, in[0], true);
        });
        k.put("AveragePool", (n, in, o) -> in[0].rank() == 4 && in[0].type == DataType.FLOAT
                ? new Value[] {pooling(pool, n, in[0], false)} : poolingNd(n, in[0], false));
        k.put("GlobalAveragePool", (n, in, o) -> new Value[] {globalAverage(pool, in[0])});
        k.put("BatchNormalization", (n, in, o) -> new Value[] {batchNorm(n, in)});
    }

    /**
     * Y[m, N] = A[m, K] * W^T for a weight held sparse, when that was measured faster at this batch (else null):
     * the CSR kernel computes Y^T = W * A^T, so batches above one are transposed in and out. The optional row bias
     * is added afterwards.
     */
    private static Value sparseOrDense(EnginePool pool, SparseWeights sw, String weight, SparseMatrix s, float[] a,
                                       int m, float[] bDense, float[] rowBias) {
        int k = s.cols(), nn = s.rows();
        boolean go = sw.useSparse(weight, s, m, m * nn,
                scratch -> Gemm.multiply(pool, m, nn, k, a, 0, bDense, 0, scratch, 0),
                scratch -> sparseProduct(pool, s, a, m, scratch));
        if (!go) {
            return null;
        }
        float[] out = Buffers.floats(m * nn);
        sparseProduct(pool, s, a, m, out);
        if (rowBias != null) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < nn; j++) out[i * nn + j] += rowBias[j];
            }
        }
        return Value.floats(new int[] {m, nn}, out);
    }

    private static void sparseProduct(EnginePool pool, SparseMatrix s, float[] a, int m, float[] out) {
        if (m == 1) {
            s.multiply(pool, a, 1, out);
            return;
        }
        float[] aT = Gemm.transpose(java.util.Arrays.copyOf(a, m * s.cols()), m, s.cols());
        float[] yT = new float[s.rows() * m];
        s.multiply(pool, aT, m, yT);
        for (int r = 0; r < s.rows(); r++) {
            for (int i = 0; i < m; i++) out[i * s.rows() + r] = yT[r * m + i];
        }
    }

    /**
     * Gemm products with 2 to this many rows of A against a constant weight take the packed panels: MobileNetV3's
     * 1024 x 1000 classifier at batch 8 read each row of the weight from a new page (1.45 ms, 11 GFLOP/s).
     */
    static final int PACKED_MAX_ROWS = 64;

    static Value gemm(EnginePool pool, SparseWeights sw, Node n, Value a, Value b, Value c) {
        boolean ta = Attrs.i(n, "transA", 0) == 1;
        boolean tb = Attrs.i(n, "transB", 0) == 1;
        float alpha = Attrs.f(n, "alpha", 1f);
        float beta = Attrs.f(n, "beta", 1f);
        SparseMatrix s = ta || tb || alpha != 1f || a.rank() != 2 ? null : sw.get(n.inputs().get(1));
        if (s != null) {
            boolean rowBias = c != null && c.type == org.polaris.workbench.engine.model.DataType.FLOAT
                    && c.size() == s.rows() && (c.rank() == 1 || c.shape[0] == 1);
            if (c == null || rowBias) {
                float[] bias = null;
                if (rowBias) {
                    bias = new float[s.rows()];
                    for (int j = 0; j < bias.length; j++) bias[j] = beta * c.f[j];
                }
                Value y = sparseOrDense(pool, sw, n.inputs().get(1), s, a.f, a.shape[0], b.f, bias);
                if (y != null) {
                    return y;
                }
            }
        }
        int m = ta ? a.shape[1] : a.shape[0];
        int k = ta ? a.shape[0] : a.shape[1];
        int nn = tb ? b.shape[0] : b.shape[1];
        float[] av = ta ? Gemm.transpose(a.f, a.shape[0], a.shape[1]) : a.f;
        // a transposed weight is transposed once per session (a computed B every run)
        float[] bv = tb ? Buffers.derived(b.f, "T" + b.shape[0] + "x" + b.shape[1],
                () -> Gemm.transpose(b.f, b.shape[0], b.shape[1])) : b.f;
        float[] out = Buffers.floats(m * nn);
        boolean rowBias = c != null && alpha == 1f && c.type == org.polaris.workbench.engine.model.DataType.FLOAT
                && c.size() == nn && (c.rank() == 1 || c.shape[0] == 1);
        if (rowBias) {
            // The common Linear case: start C from beta * bias and let the GEMM accumulate onto it.
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < nn; j++) {
                    out[i * nn + j] = beta * c.f[j];
                }
            }
        }
        if (m >= 2 && m <= PACKED_MAX_ROWS && nn >= Gemm.tileColumns() && Gemm.tileColumns() > 1
                && Buffers.isConstant(b.f)) {
            // few rows (a Linear layer at a small batch) against a constant weight: B streamed in packed panels
            float[] packed = Buffers.derived(b.f, "panels " + tb + " " + b.shape[0] + "x" + b.shape[1],
                    () -> Gemm.packPanels(bv, k, nn));
            Gemm.multiplyPacked(pool, m, nn, k, av, packed, out);
        } else {
            Gemm.multiply(pool, m, nn, k, av, 0, bv, 0, out, 0);
        }
        if (rowBias) {
            return Value.floats(new int[] {m, nn}, out);
        }
        if (alpha != 1f) {
            for (int i = 0; i < out.length; i++) out[i] *= alpha;
        }
        if (c != null && beta != 0f) {
            Value bc = ElementwiseKernels.binary(Value.floats(new int[] {m, nn}, out), c,
                    (x, y) -> x + beta * y);
            Buffers.release(out);
            return bc;
        }
        return Value.floats(new int[] {m, nn}, out);
    }

    /** numpy matmul: 1-D operands are promoted, leading dimensions broadcast. */
    static Value matmul(EnginePool pool, Value a, Value b) {
        int[] as = a.rank() == 1 ? new int[] {1, a.shape[0]} : a.shape;
        int[] bs = b.rank() == 1 ? new int[] {b.shape[0], 1} : b.shape;
        int m = as[as.length - 2], k = as[as.length - 1], n = bs[bs.length - 1];
        if (bs[bs.length - 2] != k) {
            throw new IllegalArgumentException("MatMul inner dimensions differ: " + k + " vs " + bs[bs.length - 2]);
        }
        int[] batchA = Arrays.copyOf(as, as.length - 2);
        int[] batchB = Arrays.copyOf(bs, bs.length - 2);
        int[] batch = ElementwiseKernels.broadcastShape(batchA, batchB);
        int count = Value.size(batch);
        int[] sa = ElementwiseKernels.broadcastStrides(batchA, batch);
        int[] sb = ElementwiseKernels.broadcastStrides(batchB, batch);
        float[] out = Buffers.floats(count * m * n);
        if (Arrays.stream(sb).allMatch(v -> v == 0) && Value.size(batchA) == count) {
            // one weight matrix for every batch entry (a Linear layer on [B, T, K] or [N, H, W, C]): one tall GEMM
            Gemm.multiply(pool, count * m, n, k, a.f, 0, b.f, 0, out, 0);
        } else {
            int[] idx = new int[batch.length];
            for (int t = 0; t < count; t++) {
                int ia = 0, ib = 0, rem = t;
                for (int d = batch.length - 1; d >= 0; d--) {
                    idx[d] = rem % batch[d];
                    rem /= batch[d];
                    ia += idx[d] * sa[d];
                    ib += idx[d] * sb[d];
                }
                Gemm.multiply(pool, m, n, k, a.f, ia * m * k, b.f, ib * k * n, out, t * m * n);
            }
        }
        int[] shape = new int[batch.length + 2];
        System.arraycopy(batch, 0, shape, 0, batch.length);
        shape[batch.length] = m;
        shape[batch.length + 1] = n;
        if (a.rank() == 1 || b.rank() == 1) {
            int[] squeezed = Arrays.stream(shape).toArray();
            if (a.rank() == 1) squeezed = remove(squeezed, batch.length);
            if (b.rank() == 1) squeezed = remove(squeezed, squeezed.length - 1);
            shape = squeezed;
        }
        return Value.floats(shape, out);
    }

    private static int[] remove(int[] a, int at) {
        int[] out = new int[a.length - 1];
        for (int i = 0, j = 0; i < a.length; i++) if (i != at) out[j++] = a[i];
        return out;
    }

    /**
     * Pooling over any number of spatial dims (1-D and 3-D), any element type (uint8/int8 MaxPool), and MaxPool's
     * Indices output (flat positions in the input, row-major or, with storage_order 1, column-major within the
     * spatial dims): the definition, one window at a time. {x} is [N, C, d1, ...]; returns {Y} or {Y, Indices}.
     */
    static Value[] poolingNd(Node node, Value x, boolean max) {
        int r = x.rank() - 2;
        if (r < 1) {
            throw new IllegalArgumentException("pooling needs [N, C, spatial...], got rank " + x.rank());
        }
        int[] kernel = Attrs.ints(node, "kernel_shape", null);
        int[] s = Attrs.ints(node, "strides", ones(r));
        int[] d = Attrs.ints(node, "dilations", ones(r));
        int[] pads = Attrs.ints(node, "pads", new int[2 * r]);
        boolean ceil = Attrs.i(node, "ceil_mode", 0) == 1;
        boolean includePad = Attrs.i(node, "count_include_pad", 0) == 1;
        boolean columnMajor = Attrs.i(node, "storage_order", 0) == 1;
        String autoPad = Attrs.s(node, "auto_pad", "NOTSET");
        int[] in = java.util.Arrays.copyOfRange(x.shape, 2, x.rank());
        int[] out = new int[r];
        int[] begin = new int[r];
        int[] padEnd = new int[r];
        for (int a = 0; a < r; a++) {
            int[] g = ConvKernels.geometry(autoPad, in[a], kernel[a], s[a], d[a], pads[a], pads[a + r], ceil);
            out[a] = g[0];
            begin[a] = g[1];
            padEnd[a] = autoPad.equals("NOTSET") ? pads[a + r] : 0;
        }
        int planes = x.shape[0] * x.shape[1];
        int inPlane = Value.size(in);
        int outPlane = Value.size(out);
        int[] inStrides = Value.strides(in);
        int[] colStrides = new int[r]; // column-major strides for storage_order 1
        for (int a = 0, st = 1; a < r; a++) {
            colStrides[a] = st;
            st *= in[a];
        }
        double[] y = new double[planes * outPlane];
        long[] idx = max ? new long[y.length] : null;
        int[] o = new int[r];
        int[] kk = new int[r];
        int windows = Value.size(kernel);
        for (int p = 0; p < planes; p++) {
            java.util.Arrays.fill(o, 0);
            for (int q = 0; q < outPlane; q++) {
                double acc = max ? Double.NEGATIVE_INFINITY : 0;
                long arg = -1;
                int count = 0;
                int padded = 0;
                java.util.Arrays.fill(kk, 0);
                for (int t = 0; t < windows; t++) {
                    boolean inside = true;
                    boolean inPads = true;
                    int flat = 0;
                    int col = 0;
                    for (int a = 0; a < r; a++) {
                        int i = o[a] * s[a] - begin[a] + kk[a] * d[a];
                        inside &= i >= 0 && i < in[a];
                        inPads &= i >= -begin[a] && i < in[a] + padEnd[a];
                        flat += i * inStrides[a];
                        col += i * colStrides[a];
                    }
                    if (inside) {
                        double v = x.get(p * inPlane + flat);
                        if (max) {
                            if (v > acc || arg < 0) {
                                acc = v;
                                arg = (long) p * inPlane + (columnMajor ? col : flat);
                            }
                        } else {
                            acc += v;
                        }
                        count++;
                    } else if (inPads) {
                        padded++;
                    }
                    for (int a = r - 1; a >= 0; a--) {
                        if (++kk[a] < kernel[a]) break;
                        kk[a] = 0;
                    }
                }
                int at = p * outPlane + q;
                y[at] = max ? acc : acc / Math.max(1, includePad ? count + padded : count);
                if (max) idx[at] = arg;
                for (int a = r - 1; a >= 0; a--) {
                    if (++o[a] < out[a]) break;
                    o[a] = 0;
                }
            }
        }
        int[] shape = new int[x.rank()];
        shape[0] = x.shape[0];
        shape[1] = x.shape[1];
        System.arraycopy(out, 0, shape, 2, r);
        Value values = Value.ofDoubles(x.type, shape, y);
        return max ? new Value[] {values, Value.longs(shape, idx)} : new Value[] {values};
    }

    private static int[] ones(int n) {
        int[] v = new int[n];
        java.util.Arrays.fill(v, 1);
        return v;
    }

    /** Per-thread padded row of column maxima (max pooling). */
    private static final Scratch POOL_ROW = new Scratch();

    /*
     * The padded-row path's loops are methods of their own: inlined into the pooling lambda, HotSpot compiled them one
     * way or another from run to run (ResNet's 3x3 stride-2 pool 1.1 or 2.9 ms).
     */

    /** {@code acc[accOff + i] = max(acc[accOff + i], x[xOff + i])} for i below n (NaN propagates). */
    private static void maxInto(float[] acc, int accOff, float[] x, int xOff, int n) {
        for (int i = 0; i < n; i++) {
            acc[accOff + i] = Math.max(acc[accOff + i], x[xOff + i]);
        }
    }

    /** {@code out[o + xo]} = the maximum of {@code row[xo * stride .. xo * stride + kw)} for xo below ow. */
    private static void windowMax(float[] row, int stride, int kw, float[] out, int o, int ow) {
        if (kw == 3) {
            for (int xo = 0, b = 0; xo < ow; xo++, b += stride) {
                out[o + xo] = Math.max(Math.max(row[b], row[b + 1]), row[b + 2]);
            }
            return;
        }
        for (int xo = 0, b = 0; xo < ow; xo++, b += stride) {
            float m = row[b];
            for (int kx = 1; kx < kw; kx++) {
                m = Math.max(m, row[b + kx]);
            }
            out[o + xo] = m;
        }
    }

    static Value pooling(EnginePool pool, Node node, Value x, boolean max) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException("pooling is implemented for 2-D images (rank 4), got rank " + x.rank());
        }
        int[] kernel = Attrs.ints(node, "kernel_shape", null);
        int[] s = Attrs.ints(node, "strides", new int[] {1, 1});
        int[] d = Attrs.ints(node, "dilations", new int[] {1, 1});
        int[] pads = Attrs.ints(node, "pads", new int[] {0, 0, 0, 0});
        boolean ceil = Attrs.i(node, "ceil_mode", 0) == 1;
        boolean includePad = Attrs.i(node, "count_include_pad", 0) == 1;
        String autoPad = Attrs.s(node, "auto_pad", "NOTSET");
        int batch = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        int[] gy = ConvKernels.geometry(autoPad, h, kernel[0], s[0], d[0], pads[0], pads[2], ceil);
        int[] gx = ConvKernels.geometry(autoPad, w, kernel[1], s[1], d[1], pads[1], pads[3], ceil);
        int oh = gy[0], ow = gx[0];
        // Padded cells count toward the average only up to the explicit pads (ONNX count_include_pad semantics).
        int padEndY = autoPad.equals("NOTSET") ? pads[2] : 0;
        int padEndX = autoPad.equals("NOTSET") ? pads[3] : 0;
        int kh = kernel[0], kw = kernel[1];
        // Output columns whose whole window lies inside the row: no bounds checks there.
        int x0 = Math.min(ow, Math.max(0, -Math.floorDiv(-gx[1], s[1])));
        int x1 = Math.max(x0, Math.min(ow, Math.floorDiv(w - 1 - (kw - 1) * d[1] + gx[1], s[1]) + 1));
        float[] xf = x.f;
        if (max && kh == 2 && kw == 2 && s[0] == 2 && s[1] == 2 && d[0] == 1 && d[1] == 1 && gy[1] == 0 && gx[1] == 0
                && 2 * oh <= h && 2 * ow <= w) {
            // the common 2x2 stride-2 window without padding: four loads and three maxima per output, no row buffer
            float[] out = Buffers.uninitialized(batch * c * oh * ow); // every output is written
            pool.parallelFor(batch * c, 8, bc -> {
                int inOff = bc * h * w;
                int o = bc * oh * ow;
                for (int y = 0; y < oh; y++, o += ow) {
                    int r0 = inOff + 2 * y * w;
                    int r1 = r0 + w;
                    // in vectors first (the scalar loop's stride-2 loads kept it from vectorizing: the Fashion CNN's
                    // two pools took a fifth of its latency)
                    for (int xo = ConvKernels.TAPS.maxPairs(xf, r0, r1, out, o, ow); xo < ow; xo++) {
                        int i = 2 * xo;
                        out[o + xo] = Math.max(Math.max(xf[r0 + i], xf[r0 + i + 1]),
                                Math.max(xf[r1 + i], xf[r1 + i + 1]));
                    }
                }
            });
            return Value.floats(new int[] {batch, c, oh, ow}, out);
        }
        int pt = gy[1], pl = gx[1];
        if (max && d[0] == 1 && d[1] == 1 && kh > pt && kw > pl && (oh - 1) * s[0] - pt < h
                && (ow - 1) * s[1] - pl < w) {
            // every window meets the image: the column maxima of its rows go into a row padded with -infinity on
            // both sides, so each output is a branch-free maximum over kw neighbours (ShuffleNet's 3x3 stride-2 pool
            // with padding 1 ran every edge pixel through the general loop: 1.5 -> 1.1 ms at batch 8; ORT takes 0.2 with
            // channels in the lanes, while the column maxima here vectorize but the stride-2 window maxima are scalar)
            int span = Math.max(pl + w, (ow - 1) * s[1] + kw);
            float[] dense = Buffers.uninitialized(batch * c * oh * ow); // every output is written
            pool.parallelFor(batch * c, 8, bc -> {
                float[] cm = POOL_ROW.get(span);
                Arrays.fill(cm, 0, pl, Float.NEGATIVE_INFINITY);
                Arrays.fill(cm, pl + w, span, Float.NEGATIVE_INFINITY);
                int inOff = bc * h * w;
                for (int y = 0; y < oh; y++) {
                    int ya = Math.max(0, y * s[0] - pt), yb = Math.min(h, y * s[0] - pt + kh);
                    System.arraycopy(xf, inOff + ya * w, cm, pl, w);
                    for (int iy = ya + 1; iy < yb; iy++) {
                        maxInto(cm, pl, xf, inOff + iy * w, w);
                    }
                    windowMax(cm, s[1], kw, dense, (bc * oh + y) * ow, ow);
                }
            });
            return Value.floats(new int[] {batch, c, oh, ow}, dense);
        }
        float[] out = Buffers.floats(batch * c * oh * ow);
        pool.parallelFor(batch * c, 8, bc -> {
            int inOff = bc * h * w;
            // Max pooling is separable: the maximum down each column of the window rows first (contiguous, so the
            // JIT vectorizes it), then across the window in that one row. Math.max propagates NaN as ONNX Runtime.
            float[] colMax = max ? new float[w] : null;
            for (int y = 0; y < oh; y++) {
                int y0 = y * s[0] - gy[1];
                boolean rowInside = y0 >= 0 && y0 + (kh - 1) * d[0] < h;
                if (max && rowInside && x1 > x0) {
                    int r0 = inOff + y0 * w;
                    System.arraycopy(xf, r0, colMax, 0, w);
                    for (int ky = 1; ky < kh; ky++) {
                        int r = r0 + ky * d[0] * w;
                        for (int i = 0; i < w; i++) {
                            colMax[i] = Math.max(colMax[i], xf[r + i]);
                        }
                    }
                    int o = (bc * oh + y) * ow;
                    for (int xo = x0; xo < x1; xo++) {
                        int ix0 = xo * s[1] - gx[1];
                        float m = colMax[ix0];
                        for (int kx = 1; kx < kw; kx++) {
                            m = Math.max(m, colMax[ix0 + kx * d[1]]);
                        }
                        out[o + xo] = m;
                    }
                }
                for (int xo = 0; xo < ow; xo++) {
                    int ix0 = xo * s[1] - gx[1];
                    if (max && rowInside && xo >= x0 && xo < x1) {
                        continue;
                    }
                    double acc = max ? Double.NEGATIVE_INFINITY : 0;
                    int count = 0;
                    int padded = 0;
                    for (int ky = 0; ky < kh; ky++) {
                        int iy = y0 + ky * d[0];
                        for (int kx = 0; kx < kw; kx++) {
                            int ix = ix0 + kx * d[1];
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
                                if (iy >= -gy[1] && iy < h + padEndY && ix >= -gx[1] && ix < w + padEndX) padded++;
                                continue;
                            }
                            float v = x.f[inOff + iy * w + ix];
                            acc = max ? Math.max(acc, v) : acc + v;
                            count++;
                        }
                    }
                    out[(bc * oh + y) * ow + xo] = (float) (max ? acc : acc / Math.max(1, includePad ? count + padded : count));
                }
            }
        });
        return Value.floats(new int[] {batch, c, oh, ow}, out);
    }

    /**
     * The mean of each (image, channel) plane ({@link FloatMath.Lanes#sum}: a serial chain of double adds ran at a
     * quarter of the load rate, 1.7 ms of EfficientNet-B0's 29), planes split over the pool's threads.
     */
    static Value globalAverage(EnginePool pool, Value x) {
        int plane = 1;
        for (int d = 2; d < x.rank(); d++) plane *= x.shape[d];
        int bc = x.shape[0] * x.shape[1];
        float[] out = Buffers.floats(bc);
        float[] v = x.f;
        int len = plane;
        pool.parallelFor(bc, Math.max(1, FloatMath.PARALLEL_MIN / Math.max(1, len)),
                i -> out[i] = (float) (FloatMath.LANES.sum(v, i * len, (i + 1) * len) / len));
        int[] shape = new int[x.rank()];
        Arrays.fill(shape, 1);
        shape[0] = x.shape[0];
        shape[1] = x.shape[1];
        return Value.floats(shape, out);
    }

    static Value batchNorm(Node n, Value[] in) {
        Value x = in[0];
        float eps = Attrs.f(n, "epsilon", 1e-5f);
        int c = x.shape[1];
        int plane = x.size() / (x.shape[0] * c);
        float[] out = Buffers.floats(x.size());
        for (int b = 0; b < x.shape[0]; b++) {
            for (int ch = 0; ch < c; ch++) {
                double scale = in[1].f[ch] / Math.sqrt(in[4].f[ch] + eps);
                double shift = in[2].f[ch] - in[3].f[ch] * scale;
                int off = (b * c + ch) * plane;
                for (int k = 0; k < plane; k++) out[off + k] = (float) (x.f[off + k] * scale + shift);
            }
        }
        return Value.floats(x.shape, out);
    }
}
