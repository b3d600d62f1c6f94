package org.polaris.workbench.engine.train;

import org.polaris.workbench.engine.exec.DenseGemm;
import org.polaris.workbench.engine.job.EnginePool;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/** The layers a trainable graph is made of, each with its forward and backward pass over flat row-major arrays. */
final class Layers {

    private Layers() {
    }

    static int size(int[] shape) {
        int n = 1;
        for (int d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    /**
     * {@code old} when it has {@code n} elements, else a new array: activations of a batch are megabytes, and a fresh
     * one per step is a humongous allocation for G1 that costs more than the arithmetic. A reused buffer is only
     * overwritten by the next step's pass, after this step's backward pass has read it.
     */
    static float[] reuse(float[] old, int n) {
        return old != null && old.length == n ? old : new float[n];
    }

    /**
     * For each element of a sample shaped {@code in}, the element of a tensor shaped {@code s} that broadcasts onto
     * it (numpy rules, right-aligned; a leading 1 for the batch is allowed).
     */
    static int[] broadcastIndex(String node, String what, int[] s, int[] in) {
        int off = s.length - in.length;
        for (int i = 0; i < s.length; i++) {
            int d = s[i];
            int j = i - off;
            if (j < 0 ? d != 1 : d != 1 && d != in[j]) {
                throw new IllegalArgumentException(node + ": " + what + Arrays.toString(s) + " does not broadcast to "
                        + Arrays.toString(in));
            }
        }
        int total = size(in);
        int[] index = new int[total];
        int[] ps = new int[in.length];
        int stride = 1;
        for (int j = in.length - 1; j >= 0; j--) {
            int i = j + off;
            int d = i >= 0 ? s[i] : 1;
            ps[j] = d == 1 ? 0 : stride;
            stride *= d;
        }
        for (int e = 0; e < total; e++) {
            int rem = e;
            int idx = 0;
            for (int j = in.length - 1; j >= 0; j--) {
                int c = rem % in[j];
                rem /= in[j];
                idx += c * ps[j];
            }
            index[e] = idx;
        }
        return index;
    }

    /** {@code m[rows, cols]} transposed into {@code t}, blocks of output rows split over the pool. */
    static void transposeInto(float[] m, int rows, int cols, float[] t, EnginePool pool) {
        int block = 64;
        pool.parallelFor((cols + block - 1) / block, 4, bi -> {
            int c0 = bi * block;
            int c1 = Math.min(cols, c0 + block);
            for (int r = 0; r < rows; r++) {
                int from = r * cols;
                for (int c = c0; c < c1; c++) t[c * rows + r] = m[from + c];
            }
        });
    }

    static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[m.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c];
        }
        return t;
    }

    /** ONNX Gemm {@code Y = X W' + b} (alpha = beta = 1, transA = 0), W stored [N,K] (transB = 1) or [K,N]. */
    static final class Gemm implements Layer {
        final String node;
        final Param w;
        final Param b;
        final boolean transB;
        final int k;
        final int n;
        final EnginePool pool;
        private float[] x;
        private boolean noInputGradient;

        Gemm(String node, Param w, Param b, boolean transB, EnginePool pool) {
            this.node = node;
            this.w = w;
            this.b = b;
            this.transB = transB;
            this.k = transB ? w.shape[1] : w.shape[0];
            this.n = transB ? w.shape[0] : w.shape[1];
            this.pool = pool;
        }

        @Override
        public String node() {
            return node;
        }

        @Override
        public int[] outShape(int[] in) {
            if (size(in) != k) throw new IllegalArgumentException(node + ": input of " + size(in) + " features, weight takes " + k);
            return new int[] {n};
        }

        @Override
        public float[] forward(float[] x, int batch, boolean training) {
            this.x = x;
            float[] y = new float[batch * n];
            if (b != null) {
                for (int i = 0; i < batch; i++) System.arraycopy(b.value, 0, y, i * n, n);
            }
            float[] wkn = transB ? transpose(w.value, n, k) : w.value;
            DenseGemm.multiply(pool, batch, n, k, x, wkn, y);
            return y;
        }

        @Override
        public float[] backward(float[] dy, int batch) {
            float[] dyT = transpose(dy, batch, n);
            if (transB) {
                // dW[N,K] = dY^T X
                DenseGemm.multiply(pool, n, k, batch, dyT, x, w.grad);
            } else {
                // dW[K,N] = X^T dY
                DenseGemm.multiply(pool, k, n, batch, transpose(x, batch, k), dy, w.grad);
            }
            if (b != null) {
                for (int i = 0; i < batch; i++) {
                    for (int j = 0; j < n; j++) b.grad[j] += dy[i * n + j];
                }
            }
            if (noInputGradient) return null;
            float[] dx = new float[batch * k];
            // dX[B,K] = dY W[N,K] (transB) or dY W^T
            DenseGemm.multiply(pool, batch, k, n, dy, transB ? w.value : transpose(w.value, k, n), dx);
            return dx;
        }

        @Override
        public void inputGradientNotNeeded() {
            noInputGradient = true;
        }

        @Override
        public List<Param> params() {
            return b == null ? List.of(w) : List.of(w, b);
        }
    }

    /** Adds a constant-shaped parameter broadcast over the batch and leading dims (numpy rules, right-aligned). */
    static final class BiasAdd implements Layer {
        final String node;
        final Param p;
        private int[] in;
        private int[] index;

        BiasAdd(String node, Param p) {
            this.node = node;
            this.p = p;
        }

        @Override
        public String node() {
            return node;
        }

        @Override
        public int[] outShape(int[] in) {
            this.in = in.clone();
            index = broadcastIndex(node, p.name, p.shape, in);
            return in.clone();
        }

        @Override
        public float[] forward(float[] x, int batch, boolean training) {
            float[] y = x.clone();
            int per = index.length;
            for (int i = 0; i < batch; i++) {
                for (int e = 0; e < per; e++) y[i * per + e] += p.value[index[e]];
            }
            return y;
        }

        @Override
        public float[] backward(float[] dy, int batch) {
            int per = index.length;
            for (int i = 0; i < batch; i++) {
                for (int e = 0; e < per; e++) p.grad[index[e]] += dy[i * per + e];
            }
            return dy;
        }

        @Override
        public List<Param> params() {
            return List.of(p);
        }
    }

    static final class Relu implements Layer {
        final String node;
        private float[] y;

        Relu(String node) {
            this.node = node;
        }

        @Override
        public String node() {
            return node;
        }

        @Override
        public int[] outShape(int[] in) {
            return in.clone();
        }

        private float[] dx;

        @Override
        public float[] forward(float[] x, int batch, boolean training) {
            float[] out = reuse(y, x.length);
            for (int i = 0; i < x.length; i++) out[i] = x[i] > 0 ? x[i] : 0;
            y = out;
            return out;
        }

        @Override
        public float[] backward(float[] dy, int batch) {
            dx = reuse(dx, dy.length);
            for (int i = 0; i < dy.length; i++) dx[i] = y[i] > 0 ? dy[i] : 0;
            return dx;
        }
    }

    /** Flatten and Reshape: the values stay, the per-sample shape changes. */
    static final class Reshape implements Layer {
        final String node;
        final int[] target;

        /** @param target the per-sample shape, or null for Flatten(axis=1) */
        Reshape(String node, int[] target) {
            this.node = node;
            this.target = target;
        }

        @Override
        public String node() {
            return node;
        }

        @Override
        public int[] outShape(int[] in) {
            int n = size(in);
            if (target == null) return new int[] {n};
            int[] out = target.clone();
            int known = 1;
            int free = -1;
            for (int i = 0; i < out.length; i++) {
                if (out[i] == -1) free = i;
                else known *= out[i];
            }
            if (free >= 0) out[free] = n / known;
            if (size(out) != n) throw new IllegalArgumentException(node + ": cannot reshape " + Arrays.toString(in) + " to "
                    + Arrays.toString(target));
            return out;
        }

        @Override
        public float[] forward(float[] x, int batch, boolean training) {
            return x;
        }

        @Override
        public float[] backward(float[] dy, int batch) {
            return dy;
        }
    }

    /** Dropout: identity when evaluating; when training, a seeded mask scaled by 1 / (1 - ratio). */
    static final class Dropout implements Layer {
        final String node;
        final double ratio;
        final long seed;
        SplittableRandom random;
        private boolean[] kept;

        Dropout(String node, double ratio, long seed) {
            this.node = node;
            this.ratio = ratio;
            this.seed = seed;
            this.random = new SplittableRandom(seed);
        }

        @Override
        public void startEpoch(int epoch) {
            random = new SplittableRandom(seed * 1_000_003L + epoch);
        }

        @Override
        public String node() {
            return node;
        }

        @Override
        public int[] outShape(int[] in) {
            return in.clone();
        }

        @Override
        public float[] forward(float[] x, int batch, boolean training) {
            if (!training || ratio <= 0) {
                kept = null;
                return x;
            }
            float scale = (float) (1 / (1 - ratio));
            float[] y = new float[x.length];
            kept = new boolean[x.length];
            for (int i = 0; i < x.length; i++) {
                kept[i] = random.nextDouble() >= ratio;
                y[i] = kept[i] ? x[i] * scale : 0;
            }
            return y;
        }

        @Override
        public float[] backward(float[] dy, int batch) {
            if (kept == null) return dy;
            float scale = (float) (1 / (1 - ratio));
            float[] dx = new float[dy.length];
            for (int i = 0; i < dy.length; i++) dx[i] = kept[i] ? dy[i] * scale : 0;
            return dx;
        }
    }

    /** 2-D convolution (NCHW, groups, strides, pads, dilations) by im2col and the engine's GEMM. */
    static final class Conv implements Layer {
        final String node;
        final Param w;
        final Param b;
        final int groups;
        final int sh;
        final int sw;
        final int dh;
        final int dw;
        final int[] pads;
        final EnginePool pool;
        int c;
        int h;
        int wi;
        int oc;
        int kh;
        int kw;
        int oh;
        int ow;
        private float[][] cols;

        Conv(String node, Param w, Param b, int groups, int[] strides, int[] pads, int[] dilations, EnginePool pool) {
            this.node = node;
            this.w = w;
            this.b = b;
            this.groups = groups;
            this.sh = strides[0];
            this.sw = strides[1];
            this.dh = dilations[0];
            this.dw = dilations[1];
            this.pads = pads.clone();
            this.pool = pool;
        }

        @Override
        public String node() {
            return node;
        }

        @Override
        public int[] outShape(int[] in) {
            if (in.length != 3) throw new IllegalArgumentException(node + ": 2-D convolution takes NCHW input, got " + Arrays.toString(in));
            c = in[0];
            h = in[1];
            wi = in[2];
            oc = w.shape[0];
            kh = w.shape[2];
            kw = w.shape[3];
            if (w.shape[1] * groups != c || oc % groups != 0) {
                throw new IllegalArgumentException(node + ": weight " + Arrays.toString(w.shape) + " with " + groups
                        + " groups does not fit " + c + " input channels");
            }
            oh = (h + pads[0] + pads[2] - dh * (kh - 1) - 1) / sh + 1;
            ow = (wi + pads[1] + pads[3] - dw * (kw - 1) - 1) / sw + 1;
            return new int[] {oc, oh, ow};
        }

        private int rows() {
            return (c / groups) * kh * kw;
        }

        private float[] y;
        private float[] out;
        private float[] dx;
        private float[] dyg;
        private float[] dcol;
        private float[] colT;
        private boolean noInputGradient;

        /** The columns of one group of a whole batch: [(C/g)*kh*kw, B*OH*OW], sample after sample along a row. */
        private float[] im2col(float[] x, int batch, int g) {
            float[] col = reuse(cols == null || cols.length <= g ? null : cols[g], rows() * batch * oh * ow);
            Arrays.fill(col, 0);
            columns(x, col, batch, g, true);
            return col;
        }

        /**
         * The one walk over image pixels and their columns: {@code gather} copies pixels into {@code col} (im2col);
         * otherwise each column entry is added back onto its pixel (col2im, the gradient of im2col).
         */
        private void columns(float[] image, float[] col, int batch, int g, boolean gather) {
            int cg = c / groups;
            int plane = oh * ow;
            int width = batch * plane;
            // one sample's pixels and columns are its own: samples split over the pool, the result is the same
            pool.parallelFor(batch, 4, s -> {
                int base = s * c * h * wi;
                for (int ci = 0; ci < cg; ci++) {
                    int ch = g * cg + ci;
                    for (int a = 0; a < kh; a++) {
                        for (int bb = 0; bb < kw; bb++) {
                            int at = ((ci * kh + a) * kw + bb) * width + s * plane;
                            for (int y = 0; y < oh; y++) {
                                int iy = y * sh - pads[0] + a * dh;
                                if (iy < 0 || iy >= h) continue;
                                int px = base + (ch * h + iy) * wi;
                                for (int xx = 0; xx < ow; xx++) {
                                    int ix = xx * sw - pads[1] + bb * dw;
                                    if (ix < 0 || ix >= wi) continue;
                                    if (gather) col[at + y * ow + xx] = image[px + ix];
                                    else image[px + ix] += col[at + y * ow + xx];
                                }
                            }
                        }
                    }
                }
            });
        }

        @Override
        public float[] forward(float[] x, int batch, boolean training) {
            int plane = oh * ow;
            int ocg = oc / groups;
            int r = rows();
            int width = batch * plane;
            y = reuse(y, batch * oc * plane);
            if (cols == null || cols.length != groups) cols = new float[groups][];
            for (int g = 0; g < groups; g++) {
                float[] col = im2col(x, batch, g);
                cols[g] = col;
                out = reuse(out, ocg * width);
                Arrays.fill(out, 0);
                float[] wg = groups == 1 ? w.value : Arrays.copyOfRange(w.value, g * ocg * r, (g + 1) * ocg * r);
                DenseGemm.multiply(pool, ocg, width, r, wg, col, out);
                for (int o = 0; o < ocg; o++) {
                    float bias = b == null ? 0 : b.value[g * ocg + o];
                    for (int s = 0; s < batch; s++) {
                        int to = (s * oc + g * ocg + o) * plane;
                        int from = o * width + s * plane;
                        for (int p = 0; p < plane; p++) y[to + p] = out[from + p] + bias;
                    }
                }
            }
            return y;
        }

        @Override
        public float[] backward(float[] dy, int batch) {
            int plane = oh * ow;
            int ocg = oc / groups;
            int r = rows();
            int width = batch * plane;
            dx = reuse(dx, batch * c * h * wi);
            Arrays.fill(dx, 0);
            for (int g = 0; g < groups; g++) {
                float[] col = cols[g];
                // dY of this group as [ocg, B*plane]
                dyg = reuse(dyg, ocg * width);
                for (int o = 0; o < ocg; o++) {
                    for (int s = 0; s < batch; s++) {
                        System.arraycopy(dy, (s * oc + g * ocg + o) * plane, dyg, o * width + s * plane, plane);
                    }
                }
                // dW[ocg, r] += dY[ocg, width] col^T[width, r]
                float[] dwg = new float[ocg * r];
                colT = reuse(colT, r * width);
                transposeInto(col, r, width, colT, pool);
                DenseGemm.multiply(pool, ocg, r, width, dyg, colT, dwg);
                for (int i = 0; i < dwg.length; i++) w.grad[g * ocg * r + i] += dwg[i];
                if (b != null) {
                    for (int o = 0; o < ocg; o++) {
                        double sum = 0;
                        for (int i = 0; i < width; i++) sum += dyg[o * width + i];
                        b.grad[g * ocg + o] += (float) sum;
                    }
                }
                if (noInputGradient) continue;
                // dcol[r, width] = W^T[r, ocg] dY[ocg, width], then col2im
                float[] wgT = transpose(Arrays.copyOfRange(w.value, g * ocg * r, (g + 1) * ocg * r), ocg, r);
                dcol = reuse(dcol, r * width);
                Arrays.fill(dcol, 0);
                DenseGemm.multiply(pool, r, width, ocg, wgT, dyg, dcol);
                columns(dx, dcol, batch, g, false);
            }
            return noInputGradient ? null : dx;
        }

        @Override
        public void inputGradientNotNeeded() {
            noInputGradient = true;
        }

        @Override
        public List<Param> params() {
            return b == null ? List.of(w) : List.of(w, b);
        }
    }

    /** 2-D max pooling (NCHW); the gradient goes to the first maximum of each window. */
    static final class MaxPool implements Layer {
        final String node;
        final int kh;
        final int kw;
        final int sh;
        final int sw;
        final int[] pads;
        final boolean ceil;
        int c;
        int h;
        int w;
        int oh;
        int ow;
        private int[] arg;

        MaxPool(String node, int[] kernel, int[] strides, int[] pads) {
            this(node, kernel, strides, pads, false);
        }

        /** @param ceil ONNX ceil_mode: a last window that starts inside the (left-padded) input counts even if cut off */
        MaxPool(String node, int[] kernel, int[] strides, int[] pads, boolean ceil) {
            this.node = node;
            this.ceil = ceil;
            this.kh = kernel[0];
            this.kw = kernel[1];
            this.sh = strides[0];
            this.sw = strides[1];
            this.pads = pads.clone();
        }

        @Override
        public String node() {
            return node;
        }

        @Override
        public int[] outShape(int[] in) {
            if (in.length != 3) throw new IllegalArgumentException(node + ": 2-D pooling takes NCHW input, got " + Arrays.toString(in));
            c = in[0];
            h = in[1];
            w = in[2];
            oh = windows(h, pads[0], pads[2], kh, sh);
            ow = windows(w, pads[1], pads[3], kw, sw);
            return new int[] {c, oh, ow};
        }

        private int windows(int size, int before, int after, int k, int stride) {
            int span = size + before + after - k;
            if (!ceil) return span / stride + 1;
            int n = Math.floorDiv(span + stride - 1, stride) + 1;
            return (n - 1) * stride >= size + before ? n - 1 : n;
        }

        private float[] y;
        private float[] dx;

        @Override
        public float[] forward(float[] x, int batch, boolean training) {
            y = reuse(y, batch * c * oh * ow);
            if (arg == null || arg.length != y.length) arg = new int[y.length];
            if (kh == 2 && kw == 2 && sh == 2 && sw == 2 && pads[0] == 0 && pads[1] == 0 && 2 * oh <= h && 2 * ow <= w) {
                pool2x2(x, y, batch * c);
                return y;
            }
            for (int p = 0; p < batch * c; p++) {
                int in = p * h * w;
                for (int yy = 0; yy < oh; yy++) {
                    for (int xx = 0; xx < ow; xx++) {
                        float best = Float.NEGATIVE_INFINITY;
                        int at = -1;
                        for (int a = 0; a < kh; a++) {
                            int iy = yy * sh - pads[0] + a;
                            if (iy < 0 || iy >= h) continue;
                            for (int bb = 0; bb < kw; bb++) {
                                int ix = xx * sw - pads[1] + bb;
                                if (ix < 0 || ix >= w) continue;
                                float v = x[in + iy * w + ix];
                                if (v > best) {
                                    best = v;
                                    at = in + iy * w + ix;
                                }
                            }
                        }
                        int o = (p * oh + yy) * ow + xx;
                        y[o] = best;
                        arg[o] = at;
                    }
                }
            }
            return y;
        }

        /** The common 2x2 stride-2 window without padding: no bounds checks, the first maximum wins as above. */
        private void pool2x2(float[] x, float[] y, int planes) {
            for (int p = 0; p < planes; p++) {
                int in = p * h * w;
                int out = p * oh * ow;
                for (int yy = 0; yy < oh; yy++) {
                    int r0 = in + 2 * yy * w;
                    int r1 = r0 + w;
                    for (int xx = 0; xx < ow; xx++) {
                        int a = r0 + 2 * xx;
                        int best = a;
                        if (x[a + 1] > x[best]) best = a + 1;
                        int b = r1 + 2 * xx;
                        if (x[b] > x[best]) best = b;
                        if (x[b + 1] > x[best]) best = b + 1;
                        y[out + yy * ow + xx] = x[best];
                        arg[out + yy * ow + xx] = best;
                    }
                }
            }
        }

        @Override
        public float[] backward(float[] dy, int batch) {
            dx = reuse(dx, batch * c * h * w);
            Arrays.fill(dx, 0);
            for (int o = 0; o < dy.length; o++) {
                if (arg[o] >= 0) dx[arg[o]] += dy[o];
            }
            return dx;
        }
    }

    /** GlobalAveragePool: NCHW to NC11. */
    static final class GlobalAveragePool implements Layer {
        final String node;
        int c;
        int plane;

        GlobalAveragePool(String node) {
            this.node = node;
        }

        @Override
        public String node() {
            return node;
        }

        @Override
        public int[] outShape(int[] in) {
            c = in[0];
            plane = size(in) / c;
            return new int[] {c, 1, 1};
        }

        @Override
        public float[] forward(float[] x, int batch, boolean training) {
            float[] y = new float[batch * c];
            for (int p = 0; p < batch * c; p++) {
                double s = 0;
                for (int i = 0; i < plane; i++) s += x[p * plane + i];
                y[p] = (float) (s / plane);
            }
            return y;
        }

        @Override
        public float[] backward(float[] dy, int batch) {
            float[] dx = new float[batch * c * plane];
            for (int p = 0; p < batch * c; p++) {
                float g = dy[p] / plane;
                for (int i = 0; i < plane; i++) dx[p * plane + i] = g;
            }
            return dx;
        }
    }
}
