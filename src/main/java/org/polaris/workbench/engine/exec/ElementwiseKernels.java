package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Node;

import java.util.Map;
import java.util.function.DoubleBinaryOperator;

/** Element-wise ops with numpy-style broadcasting, activations and Softmax. */
final class ElementwiseKernels {

    private ElementwiseKernels() {
    }

    static void register(Map<String, Kernel> k, EnginePool pool) {
        k.put("Add", (n, in, o) -> new Value[] {binary(pool, FloatMath.Binary.ADD, in[0], in[1], Double::sum)});
        k.put("Sub", (n, in, o) -> new Value[] {binary(pool, FloatMath.Binary.SUB, in[0], in[1], (x, y) -> x - y)});
        k.put("Mul", (n, in, o) -> new Value[] {binary(pool, FloatMath.Binary.MUL, in[0], in[1], (x, y) -> x * y)});
        k.put("Div", (n, in, o) -> new Value[] {binary(pool, FloatMath.Binary.DIV, in[0], in[1], ElementwiseKernels::divide)});
        k.put("Relu", (n, in, o) -> new Value[] {FloatMath.unary(pool, FloatMath.Unary.RELU, in[0], 0, 0)});
        k.put("Sigmoid", (n, in, o) -> new Value[] {FloatMath.unary(pool, FloatMath.Unary.SIGMOID, in[0], 0, 0)});
        k.put("Tanh", (n, in, o) -> new Value[] {FloatMath.unary(pool, FloatMath.Unary.TANH, in[0], 0, 0)});
        k.put("Identity", (n, in, o) -> new Value[] {in[0]});
        // Inference Dropout: the data passes through and the optional mask is all true.
        k.put("Dropout", (n, in, o) -> {
            byte[] mask = new byte[in[0].size()];
            java.util.Arrays.fill(mask, (byte) 1);
            return new Value[] {in[0], Value.bytes(DataType.BOOL, in[0].shape, mask)};
        });
        k.put("Clip", (n, in, o) -> {
            float[] bounds = clipBounds(n, in, o);
            float lo = bounds[0];
            float hi = bounds[1];
            if (in[0].type != DataType.FLOAT) { // integer Clip keeps its type
                return new Value[] {MathKernels.map(in[0], in[0].type, x -> Math.min(hi, Math.max(lo, x)))};
            }
            return new Value[] {FloatMath.unary(pool, FloatMath.Unary.CLIP, in[0], lo, hi)};
        });
        k.put("Softmax", (n, in, o) -> new Value[] {softmax(in[0], Attrs.i(n, "axis", o < 13 ? 1 : -1), o)});
    }

    private static double divide(double x, double y) {
        return x / y;
    }

    static int[] broadcastShape(int[] a, int[] b) {
        int r = Math.max(a.length, b.length);
        int[] out = new int[r];
        for (int k = 0; k < r; k++) {
            int da = k - (r - a.length) >= 0 ? a[k - (r - a.length)] : 1;
            int db = k - (r - b.length) >= 0 ? b[k - (r - b.length)] : 1;
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException("shapes " + java.util.Arrays.toString(a) + " and "
                        + java.util.Arrays.toString(b) + " do not broadcast");
            }
            out[k] = da == 1 ? db : da; // a 0-length dimension broadcasts against 1 to 0, as numpy
        }
        return out;
    }

    /** Strides of {@code shape} aligned to an output of rank {@code rank}, 0 where the input broadcasts. */
    static int[] broadcastStrides(int[] shape, int[] out) {
        int[] s = new int[out.length];
        int stride = 1;
        for (int k = out.length - 1; k >= 0; k--) {
            int src = k - (out.length - shape.length);
            int d = src >= 0 ? shape[src] : 1;
            s[k] = d == 1 ? 0 : stride;
            stride *= d;
        }
        return s;
    }

    /** For each element of {@code out} (row-major), the flat index of the element of {@code in} that broadcasts to it. */
    static int[] broadcastSources(int[] in, int[] out) {
        int[] strides = broadcastStrides(in, out);
        int n = Value.size(out);
        int[] src = new int[n];
        int[] idx = new int[out.length];
        int at = 0;
        for (int k = 0; k < n; k++) {
            src[k] = at;
            for (int d = out.length - 1; d >= 0; d--) {
                idx[d]++;
                at += strides[d];
                if (idx[d] < out[d]) {
                    break;
                }
                at -= strides[d] * out[d];
                idx[d] = 0;
            }
        }
        return src;
    }

    /**
     * How Softmax-like ops see {@code x} as rows: {outer, len, inner}. Before opset 13 the tensor is flattened to 2-D
     * at {@code axis} (each row is everything after it); from 13 a row runs along {@code axis} alone.
     */
    static int[] rows(Value x, long axisAttr, int opset) {
        int axis = Attrs.axis(axisAttr, x.rank());
        int outer = 1;
        for (int d = 0; d < axis; d++) outer *= x.shape[d];
        int inner = 1;
        int len;
        if (opset < 13) {
            len = x.size() / Math.max(outer, 1);
        } else {
            len = x.shape[axis];
            for (int d = axis + 1; d < x.rank(); d++) inner *= x.shape[d];
        }
        return new int[] {outer, len, inner};
    }

    /** Clip's {min, max}: attributes before opset 11, optional inputs from then on (absent: unbounded). */
    static float[] clipBounds(Node n, Value[] in, int opset) {
        if (opset < 11) {
            return new float[] {Attrs.f(n, "min", -Float.MAX_VALUE), Attrs.f(n, "max", Float.MAX_VALUE)};
        }
        return new float[] {in.length > 1 && in[1] != null ? (float) in[1].get(0) : Float.NEGATIVE_INFINITY,
            in.length > 2 && in[2] != null ? (float) in[2].get(0) : Float.POSITIVE_INFINITY};
    }

    /** float32 operands take {@link FloatMath}'s loops; integer ones the double definition {@code op}. */
    static Value binary(EnginePool pool, FloatMath.Binary fast, Value a, Value b, DoubleBinaryOperator op) {
        if (a.type == DataType.FLOAT && b.type == DataType.FLOAT) {
            return FloatMath.binary(pool, fast, a, b);
        }
        return binary(a, b, op);
    }

    static Value binary(Value a, Value b, DoubleBinaryOperator op) {
        int[] shape = broadcastShape(a.shape, b.shape);
        int n = Value.size(shape);
        boolean floats = a.type == DataType.FLOAT || b.type == DataType.FLOAT;
        float[] of = floats ? Buffers.floats(n) : null;
        long[] ol = floats ? null : new long[n];
        if (floats && java.util.Arrays.equals(a.shape, b.shape)) {
            for (int k = 0; k < n; k++) {
                of[k] = (float) op.applyAsDouble(a.f[k], b.f[k]);
            }
            return Value.floats(shape, of);
        }
        int[] ia = broadcastSources(a.shape, shape);
        int[] ib = broadcastSources(b.shape, shape);
        for (int k = 0; k < n; k++) {
            double r = op.applyAsDouble(a.get(ia[k]), b.get(ib[k]));
            if (floats) {
                of[k] = (float) r;
            } else {
                ol[k] = (long) r;
            }
        }
        return floats ? Value.floats(shape, of) : Value.longs(shape, ol);
    }

    /**
     * Opset < 13 flattens to 2-D at {@code axis} and normalizes each row; opset 13 normalizes along {@code axis}.
     */
    static Value softmax(Value x, long axisAttr, int opset) {
        int[] rows = rows(x, axisAttr, opset);
        int outer = rows[0];
        int len = rows[1];
        int inner = rows[2];
        float[] out = Buffers.floats(x.size());
        if (inner == 1) {
            // rows in a line (the last axis): x - max, then exp over the row with the SIMD lanes, in place
            for (int o = 0; o < outer; o++) {
                int base = o * len;
                float max = Float.NEGATIVE_INFINITY;
                for (int k = 0; k < len; k++) max = Math.max(max, x.f[base + k]);
                for (int k = 0; k < len; k++) out[base + k] = x.f[base + k] - max;
                FloatMath.LANES.apply(FloatMath.Unary.EXP, out, out, base, base + len);
                float scale = (float) (1.0 / FloatMath.LANES.sum(out, base, base + len));
                for (int k = 0; k < len; k++) out[base + k] *= scale;
            }
            return Value.floats(x.shape, out);
        }
        for (int o = 0; o < outer; o++) {
            for (int in = 0; in < inner; in++) {
                int base = o * len * inner + in;
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < len; k++) max = Math.max(max, x.f[base + k * inner]);
                double sum = 0;
                for (int k = 0; k < len; k++) {
                    double e = Math.exp(x.f[base + k * inner] - max);
                    out[base + k * inner] = (float) e;
                    sum += e;
                }
                for (int k = 0; k < len; k++) out[base + k * inner] /= sum;
            }
        }
        return Value.floats(x.shape, out);
    }
}
