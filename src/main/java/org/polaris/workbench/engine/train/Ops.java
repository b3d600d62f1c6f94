package org.polaris.workbench.engine.train;

import java.util.Arrays;
import java.util.List;

/**
 * More differentiable steps: element-wise activations, arithmetic with a constant, BatchNormalization, average
 * pooling and Transpose (one input each), and the joins of two or more activations (Add, Sub, Mul, Concat) that
 * residual and multi-branch graphs are made of.
 */
final class Ops {

    private Ops() {
    }

    /** An operation on several activations of the same batch. */
    interface Join {
        String node();

        int[] outShape(int[][] in);

        float[] forward(float[][] xs, int batch, boolean training);

        /** The gradient of each input; an input's array may be shared with {@code dy} or another input's. */
        float[][] backward(float[] dy, int batch);
    }

    /** The element-wise activations with their derivative. */
    enum Fn { CLIP, LEAKY_RELU, SIGMOID, TANH, ERF, GELU, GELU_TANH, HARD_SIGMOID, HARD_SWISH }

    static final class Unary implements Layer {
        final String node;
        final Fn fn;
        final float a;
        final float b;
        private float[] x;
        private float[] y;

        /** {@code a, b}: Clip's min and max, LeakyRelu's alpha (a), HardSigmoid's alpha and beta. */
        Unary(String node, Fn fn, float a, float b) {
            this.node = node;
            this.fn = fn;
            this.a = a;
            this.b = b;
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
        public float[] forward(float[] in, int batch, boolean training) {
            x = in;
            y = Layers.reuse(y, in.length);
            for (int i = 0; i < in.length; i++) y[i] = (float) value(in[i]);
            return y;
        }

        private double value(double v) {
            return switch (fn) {
                case CLIP -> Math.min(b, Math.max(a, v));
                case LEAKY_RELU -> v >= 0 ? v : a * v;
                case SIGMOID -> 1 / (1 + Math.exp(-v));
                case TANH -> Math.tanh(v);
                case ERF -> erf(v);
                case GELU -> 0.5 * v * (1 + erf(v / Math.sqrt(2)));
                case GELU_TANH -> 0.5 * v * (1 + Math.tanh(GELU_C * (v + 0.044715 * v * v * v)));
                case HARD_SIGMOID -> Math.max(0, Math.min(1, a * v + b));
                case HARD_SWISH -> v * Math.max(0, Math.min(1, v / 6 + 0.5));
            };
        }

        private static final double GELU_C = Math.sqrt(2 / Math.PI);

        private double derivative(double v, double out) {
            return switch (fn) {
                case CLIP -> v > a && v < b ? 1 : 0;
                case LEAKY_RELU -> v >= 0 ? 1 : a;
                case SIGMOID -> out * (1 - out);
                case TANH -> 1 - out * out;
                case ERF -> 2 / Math.sqrt(Math.PI) * Math.exp(-v * v);
                case GELU -> 0.5 * (1 + erf(v / Math.sqrt(2))) + v * Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI);
                case GELU_TANH -> {
                    double u = GELU_C * (v + 0.044715 * v * v * v);
                    double t = Math.tanh(u);
                    yield 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * GELU_C * (1 + 3 * 0.044715 * v * v);
                }
                case HARD_SIGMOID -> a * v + b > 0 && a * v + b < 1 ? a : 0;
                case HARD_SWISH -> v < -3 ? 0 : v > 3 ? 1 : v / 3 + 0.5;
            };
        }

        @Override
        public float[] backward(float[] dy, int batch) {
            float[] dx = new float[dy.length];
            for (int i = 0; i < dy.length; i++) dx[i] = (float) (dy[i] * derivative(x[i], y[i]));
            return dx;
        }
    }

    /** erf to about 1e-7 (Abramowitz and Stegun 7.1.26 is 1e-7 absolute, enough for float32 training). */
    static double erf(double x) {
        double t = 1 / (1 + 0.3275911 * Math.abs(x));
        double p = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
        double r = 1 - p * Math.exp(-x * x);
        return x >= 0 ? r : -r;
    }

    /** Element-wise arithmetic with a constant (not trained) broadcast onto the activation: x+c, x-c, c-x, x*c, x/c, c/x. */
    static final class WithConstant implements Layer {
        enum Kind { ADD, SUB, SUB_FROM, MUL, DIV, DIV_INTO }

        final String node;
        final Kind kind;
        final float[] c;
        final int[] cShape;
        private int[] index;
        private float[] x;

        WithConstant(String node, Kind kind, float[] c, int[] cShape) {
            this.node = node;
            this.kind = kind;
            this.c = c;
            this.cShape = cShape;
        }

        @Override
        public String node() {
            return node;
        }

        @Override
        public int[] outShape(int[] in) {
            index = Layers.broadcastIndex(node, "constant", cShape, in);
            return in.clone();
        }

        @Override
        public float[] forward(float[] in, int batch, boolean training) {
            x = in;
            float[] y = new float[in.length];
            int per = index.length;
            for (int i = 0; i < in.length; i++) {
                float k = c[index[i % per]];
                float v = in[i];
                y[i] = switch (kind) {
                    case ADD -> v + k;
                    case SUB -> v - k;
                    case SUB_FROM -> k - v;
                    case MUL -> v * k;
                    case DIV -> v / k;
                    case DIV_INTO -> k / v;
                };
            }
            return y;
        }

        @Override
        public float[] backward(float[] dy, int batch) {
            float[] dx = new float[dy.length];
            int per = index.length;
            for (int i = 0; i < dy.length; i++) {
                float k = c[index[i % per]];
                dx[i] = switch (kind) {
                    case ADD, SUB -> dy[i];
                    case SUB_FROM -> -dy[i];
                    case MUL -> dy[i] * k;
                    case DIV -> dy[i] / k;
                    case DIV_INTO -> -dy[i] * k / (x[i] * x[i]);
                };
            }
            return dx;
        }
    }

    /**
     * BatchNormalization over channels (axis 1). Training uses the batch's mean and variance and moves the running
     * statistics by {@code momentum} (ONNX: running = running * momentum + batch * (1 - momentum)); evaluation uses
     * the running statistics, as the written model does. Scale and bias train; the statistics are kept, not trained.
     */
    static final class BatchNorm implements Layer {
        final String node;
        final Param scale;
        final Param bias;
        final Param mean;
        final Param var;
        final float eps;
        final float momentum;
        int c;
        int plane;
        private float[] xhat;
        private float[] invStd;
        private boolean trained;

        BatchNorm(String node, Param scale, Param bias, Param mean, Param var, float eps, float momentum) {
            this.node = node;
            this.scale = scale;
            this.bias = bias;
            this.mean = mean;
            this.var = var;
            this.eps = eps;
            this.momentum = momentum;
        }

        @Override
        public String node() {
            return node;
        }

        @Override
        public int[] outShape(int[] in) {
            c = in[0];
            plane = Layers.size(in) / c;
            if (scale.size() != c || bias.size() != c || mean.size() != c || var.size() != c) {
                throw new IllegalArgumentException(node + ": statistics are not one per channel (" + c + ")");
            }
            return in.clone();
        }

        @Override
        public float[] forward(float[] x, int batch, boolean training) {
            float[] y = new float[x.length];
            trained = training && batch * plane > 1;
            xhat = Layers.reuse(xhat, x.length);
            invStd = Layers.reuse(invStd, c);
            for (int ch = 0; ch < c; ch++) {
                double m;
                double v;
                if (trained) {
                    double s = 0;
                    for (int n = 0; n < batch; n++) {
                        int o = (n * c + ch) * plane;
                        for (int i = 0; i < plane; i++) s += x[o + i];
                    }
                    m = s / (batch * plane);
                    double q = 0;
                    for (int n = 0; n < batch; n++) {
                        int o = (n * c + ch) * plane;
                        for (int i = 0; i < plane; i++) q += (x[o + i] - m) * (x[o + i] - m);
                    }
                    v = q / (batch * plane);
                    int count = batch * plane;
                    mean.value[ch] = (float) (mean.value[ch] * momentum + m * (1 - momentum));
                    // the running variance is unbiased, as PyTorch keeps it
                    var.value[ch] = (float) (var.value[ch] * momentum + v * count / (count - 1) * (1 - momentum));
                } else {
                    m = mean.value[ch];
                    v = var.value[ch];
                }
                double inv = 1 / Math.sqrt(v + eps);
                invStd[ch] = (float) inv;
                for (int n = 0; n < batch; n++) {
                    int o = (n * c + ch) * plane;
                    for (int i = 0; i < plane; i++) {
                        float h = (float) ((x[o + i] - m) * inv);
                        xhat[o + i] = h;
                        y[o + i] = h * scale.value[ch] + bias.value[ch];
                    }
                }
            }
            return y;
        }

        @Override
        public float[] backward(float[] dy, int batch) {
            float[] dx = new float[dy.length];
            int count = batch * plane;
            for (int ch = 0; ch < c; ch++) {
                double sumDy = 0;
                double sumDyX = 0;
                for (int n = 0; n < batch; n++) {
                    int o = (n * c + ch) * plane;
                    for (int i = 0; i < plane; i++) {
                        sumDy += dy[o + i];
                        sumDyX += dy[o + i] * xhat[o + i];
                    }
                }
                bias.grad[ch] += (float) sumDy;
                scale.grad[ch] += (float) sumDyX;
                double g = scale.value[ch] * invStd[ch];
                for (int n = 0; n < batch; n++) {
                    int o = (n * c + ch) * plane;
                    for (int i = 0; i < plane; i++) {
                        dx[o + i] = (float) (trained
                                ? g * (dy[o + i] - sumDy / count - xhat[o + i] * sumDyX / count)
                                : g * dy[o + i]);
                    }
                }
            }
            return dx;
        }

        @Override
        public List<Param> params() {
            return List.of(scale, bias);
        }
    }

    /** 2-D AveragePool (NCHW) with strides and pads; padding counts only when {@code countPad}. */
    static final class AveragePool implements Layer {
        final String node;
        final int kh;
        final int kw;
        final int sh;
        final int sw;
        final int[] pads;
        final boolean countPad;
        int c;
        int h;
        int w;
        int oh;
        int ow;

        AveragePool(String node, int[] kernel, int[] strides, int[] pads, boolean countPad) {
            this.node = node;
            this.kh = kernel[0];
            this.kw = kernel[1];
            this.sh = strides[0];
            this.sw = strides[1];
            this.pads = pads.clone();
            this.countPad = countPad;
        }

        @Override
        public String node() {
            return node;
        }

        @Override
        public int[] outShape(int[] in) {
            if (in.length != 3) throw new IllegalArgumentException(node + ": 2-D pooling takes NCHW input");
            c = in[0];
            h = in[1];
            w = in[2];
            oh = (h + pads[0] + pads[2] - kh) / sh + 1;
            ow = (w + pads[1] + pads[3] - kw) / sw + 1;
            return new int[] {c, oh, ow};
        }

        private int divisor(int y0, int x0) {
            if (countPad) {
                int y1 = Math.min(y0 + kh, h + pads[2]);
                int x1 = Math.min(x0 + kw, w + pads[3]);
                return (y1 - y0) * (x1 - x0);
            }
            int y1 = Math.min(y0 + kh, h);
            int x1 = Math.min(x0 + kw, w);
            return (y1 - Math.max(y0, 0)) * (x1 - Math.max(x0, 0));
        }

        @Override
        public float[] forward(float[] x, int batch, boolean training) {
            float[] y = new float[batch * c * oh * ow];
            for (int p = 0; p < batch * c; p++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        int y0 = oy * sh - pads[0];
                        int x0 = ox * sw - pads[1];
                        double s = 0;
                        for (int iy = Math.max(0, y0); iy < Math.min(h, y0 + kh); iy++) {
                            for (int ix = Math.max(0, x0); ix < Math.min(w, x0 + kw); ix++) s += x[(p * h + iy) * w + ix];
                        }
                        y[(p * oh + oy) * ow + ox] = (float) (s / divisor(y0, x0));
                    }
                }
            }
            return y;
        }

        @Override
        public float[] backward(float[] dy, int batch) {
            float[] dx = new float[batch * c * h * w];
            for (int p = 0; p < batch * c; p++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        int y0 = oy * sh - pads[0];
                        int x0 = ox * sw - pads[1];
                        float g = dy[(p * oh + oy) * ow + ox] / divisor(y0, x0);
                        for (int iy = Math.max(0, y0); iy < Math.min(h, y0 + kh); iy++) {
                            for (int ix = Math.max(0, x0); ix < Math.min(w, x0 + kw); ix++) dx[(p * h + iy) * w + ix] += g;
                        }
                    }
                }
            }
            return dx;
        }
    }

    /** Transpose of the per-sample axes (the batch stays first). */
    static final class Transpose implements Layer {
        final String node;
        final int[] perm;
        private int[] to;

        /** @param perm the ONNX perm without the batch axis, each axis counted from 0 after the batch */
        Transpose(String node, int[] perm) {
            this.node = node;
            this.perm = perm.clone();
        }

        @Override
        public String node() {
            return node;
        }

        @Override
        public int[] outShape(int[] in) {
            if (perm.length != in.length) throw new IllegalArgumentException(node + ": perm does not fit " + Arrays.toString(in));
            int[] out = new int[in.length];
            for (int i = 0; i < in.length; i++) out[i] = in[perm[i]];
            // to[e]: where input element e goes
            int n = Layers.size(in);
            to = new int[n];
            int[] inStride = new int[in.length];
            int[] outStride = new int[in.length];
            for (int i = in.length - 1, s = 1; i >= 0; i--) {
                inStride[i] = s;
                s *= in[i];
            }
            for (int i = in.length - 1, s = 1; i >= 0; i--) {
                outStride[i] = s;
                s *= out[i];
            }
            for (int e = 0; e < n; e++) {
                int o = 0;
                for (int i = 0; i < in.length; i++) o += ((e / inStride[perm[i]]) % in[perm[i]]) * outStride[i];
                to[e] = o;
            }
            return out;
        }

        @Override
        public float[] forward(float[] x, int batch, boolean training) {
            float[] y = new float[x.length];
            int per = to.length;
            for (int s = 0; s < batch; s++) {
                for (int e = 0; e < per; e++) y[s * per + to[e]] = x[s * per + e];
            }
            return y;
        }

        @Override
        public float[] backward(float[] dy, int batch) {
            float[] dx = new float[dy.length];
            int per = to.length;
            for (int s = 0; s < batch; s++) {
                for (int e = 0; e < per; e++) dx[s * per + e] = dy[s * per + to[e]];
            }
            return dx;
        }
    }

    /**
     * Add, Sub or Mul of two activations (a residual connection, a squeeze-and-excitation gate), broadcast by numpy
     * rules within a sample; the gradient of a broadcast input sums over the axes it was repeated along.
     */
    static final class Binary implements Join {
        enum Kind { ADD, SUB, MUL }

        final String node;
        final Kind kind;
        private int[] ia;
        private int[] ib;
        private int sizeA;
        private int sizeB;
        private float[] a;
        private float[] b;

        Binary(String node, Kind kind) {
            this.node = node;
            this.kind = kind;
        }

        @Override
        public String node() {
            return node;
        }

        @Override
        public int[] outShape(int[][] in) {
            if (in.length != 2) throw new IllegalArgumentException(node + ": " + kind + " of " + in.length + " activations");
            int rank = Math.max(in[0].length, in[1].length);
            int[] out = new int[rank];
            for (int d = 0; d < rank; d++) {
                int x = d - (rank - in[0].length) >= 0 ? in[0][d - (rank - in[0].length)] : 1;
                int y = d - (rank - in[1].length) >= 0 ? in[1][d - (rank - in[1].length)] : 1;
                if (x != y && x != 1 && y != 1) {
                    throw new IllegalArgumentException(node + ": " + kind + " of activations shaped " + Arrays.toString(in[0])
                            + " and " + Arrays.toString(in[1]) + " do not broadcast");
                }
                out[d] = Math.max(x, y);
            }
            ia = Layers.broadcastIndex(node, "input", in[0], out);
            ib = Layers.broadcastIndex(node, "input", in[1], out);
            sizeA = Layers.size(in[0]);
            sizeB = Layers.size(in[1]);
            return out;
        }

        @Override
        public float[] forward(float[][] xs, int batch, boolean training) {
            a = xs[0];
            b = xs[1];
            int per = ia.length;
            float[] y = new float[batch * per];
            for (int s = 0; s < batch; s++) {
                int oa = s * sizeA;
                int ob = s * sizeB;
                for (int e = 0; e < per; e++) {
                    float u = a[oa + ia[e]];
                    float v = b[ob + ib[e]];
                    y[s * per + e] = switch (kind) {
                        case ADD -> u + v;
                        case SUB -> u - v;
                        case MUL -> u * v;
                    };
                }
            }
            return y;
        }

        @Override
        public float[][] backward(float[] dy, int batch) {
            int per = ia.length;
            if (kind == Kind.ADD && sizeA == per && sizeB == per) return new float[][] {dy, dy};
            float[] da = new float[batch * sizeA];
            float[] db = new float[batch * sizeB];
            for (int s = 0; s < batch; s++) {
                int oa = s * sizeA;
                int ob = s * sizeB;
                for (int e = 0; e < per; e++) {
                    float g = dy[s * per + e];
                    switch (kind) {
                        case ADD -> {
                            da[oa + ia[e]] += g;
                            db[ob + ib[e]] += g;
                        }
                        case SUB -> {
                            da[oa + ia[e]] += g;
                            db[ob + ib[e]] -= g;
                        }
                        case MUL -> {
                            da[oa + ia[e]] += g * b[ob + ib[e]];
                            db[ob + ib[e]] += g * a[oa + ia[e]];
                        }
                    }
                }
            }
            return new float[][] {da, db};
        }
    }

    /** Concat of activations along a per-sample axis. */
    static final class Concat implements Join {
        final String node;
        final int axis;
        private int[] outer;
        private int[] inner;
        private int outInner;

        /** @param axis the ONNX axis (1 or more: the batch axis cannot be joined here) */
        Concat(String node, int axis) {
            this.node = node;
            this.axis = axis;
        }

        @Override
        public String node() {
            return node;
        }

        @Override
        public int[] outShape(int[][] in) {
            int a = axis - 1;
            int[] out = in[0].clone();
            if (a < 0 || a >= out.length) throw new IllegalArgumentException(node + ": Concat on axis " + axis + " is not trainable here");
            out[a] = 0;
            inner = new int[in.length];
            outer = new int[in.length];
            for (int k = 0; k < in.length; k++) {
                for (int d = 0; d < out.length; d++) {
                    if (d != a && in[k][d] != in[0][d]) {
                        throw new IllegalArgumentException(node + ": inputs " + Arrays.toString(in[0]) + " and "
                                + Arrays.toString(in[k]) + " differ off the concatenated axis");
                    }
                }
                out[a] += in[k][a];
                int s = 1;
                for (int d = a; d < out.length; d++) s *= in[k][d];
                inner[k] = s;
            }
            int o = 1;
            for (int d = 0; d < a; d++) o *= out[d];
            Arrays.fill(outer, o);
            outInner = 1;
            for (int d = a; d < out.length; d++) outInner *= out[d];
            return out;
        }

        @Override
        public float[] forward(float[][] xs, int batch, boolean training) {
            int rows = batch * outer[0];
            float[] y = new float[rows * outInner];
            for (int r = 0; r < rows; r++) {
                int at = r * outInner;
                for (int k = 0; k < xs.length; k++) {
                    System.arraycopy(xs[k], r * inner[k], y, at, inner[k]);
                    at += inner[k];
                }
            }
            return y;
        }

        @Override
        public float[][] backward(float[] dy, int batch) {
            int rows = batch * outer[0];
            float[][] dx = new float[inner.length][];
            for (int k = 0; k < inner.length; k++) dx[k] = new float[rows * inner[k]];
            for (int r = 0; r < rows; r++) {
                int at = r * outInner;
                for (int k = 0; k < inner.length; k++) {
                    System.arraycopy(dy, at, dx[k], r * inner[k], inner[k]);
                    at += inner[k];
                }
            }
            return dx;
        }
    }

    /** ReduceMean over per-sample axes (global pooling written as ReduceMean over H and W). */
    static final class ReduceMean implements Layer {
        final String node;
        final int[] axes;
        final boolean keep;
        private int[] target;
        private int count;

        /** @param axes per-sample axes (the ONNX axis minus one) */
        ReduceMean(String node, int[] axes, boolean keep) {
            this.node = node;
            this.axes = axes.clone();
            this.keep = keep;
        }

        @Override
        public String node() {
            return node;
        }

        @Override
        public int[] outShape(int[] in) {
            java.util.Set<Integer> reduced = new java.util.HashSet<>();
            for (int a : axes) reduced.add(a);
            int n = Layers.size(in);
            target = new int[n];
            int[] stride = new int[in.length];
            java.util.List<Integer> out = new java.util.ArrayList<>();
            int outSize = 1;
            for (int d = in.length - 1; d >= 0; d--) {
                stride[d] = reduced.contains(d) ? 0 : outSize;
                if (!reduced.contains(d)) outSize *= in[d];
            }
            count = 1;
            for (int d = 0; d < in.length; d++) {
                if (reduced.contains(d)) count *= in[d];
                if (!reduced.contains(d)) out.add(in[d]);
                else if (keep) out.add(1);
            }
            for (int e = 0; e < n; e++) {
                int rem = e;
                int o = 0;
                for (int d = in.length - 1; d >= 0; d--) {
                    o += (rem % in[d]) * stride[d];
                    rem /= in[d];
                }
                target[e] = o;
            }
            this.outSize = outSize;
            return out.stream().mapToInt(Integer::intValue).toArray();
        }

        private int outSize;

        @Override
        public float[] forward(float[] x, int batch, boolean training) {
            int per = target.length;
            double[] acc = new double[batch * outSize];
            for (int s = 0; s < batch; s++) {
                for (int e = 0; e < per; e++) acc[s * outSize + target[e]] += x[s * per + e];
            }
            float[] y = new float[acc.length];
            for (int i = 0; i < y.length; i++) y[i] = (float) (acc[i] / count);
            return y;
        }

        @Override
        public float[] backward(float[] dy, int batch) {
            int per = target.length;
            float[] dx = new float[batch * per];
            for (int s = 0; s < batch; s++) {
                for (int e = 0; e < per; e++) dx[s * per + e] = dy[s * outSize + target[e]] / count;
            }
            return dx;
        }
    }
}
