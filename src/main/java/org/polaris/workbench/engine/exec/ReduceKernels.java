package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Node;

import java.util.Arrays;
import java.util.Map;

/**
 * Reductions (the ten Reduce ops, axes as an attribute before opset 18 and as an input from then on, ReduceSum from
 * 13), LogSoftmax and Hardmax (flattened to 2-D before opset 13, along one axis from 13), and LayerNormalization.
 * Accumulation is in double.
 */
final class ReduceKernels {

    private ReduceKernels() {
    }

    enum Kind { SUM, MEAN, MAX, MIN, PROD, L1, L2, LOG_SUM, LOG_SUM_EXP, SUM_SQUARE }

    static void register(Map<String, Kernel> k) {
        reduce(k, "ReduceSum", Kind.SUM, 13);
        reduce(k, "ReduceMean", Kind.MEAN, 18);
        reduce(k, "ReduceMax", Kind.MAX, 18);
        reduce(k, "ReduceMin", Kind.MIN, 18);
        reduce(k, "ReduceProd", Kind.PROD, 18);
        reduce(k, "ReduceL1", Kind.L1, 18);
        reduce(k, "ReduceL2", Kind.L2, 18);
        reduce(k, "ReduceLogSum", Kind.LOG_SUM, 18);
        reduce(k, "ReduceLogSumExp", Kind.LOG_SUM_EXP, 18);
        reduce(k, "ReduceSumSquare", Kind.SUM_SQUARE, 18);
        k.put("LogSoftmax", (n, in, o) -> new Value[] {rows(in[0], Attrs.i(n, "axis", o < 13 ? 1 : -1), o, true)});
        k.put("Hardmax", (n, in, o) -> new Value[] {rows(in[0], Attrs.i(n, "axis", o < 13 ? 1 : -1), o, false)});
        k.put("LayerNormalization", ReduceKernels::layerNorm);
    }

    private static void reduce(Map<String, Kernel> k, String op, Kind kind, int axesInputSince) {
        k.put(op, (n, in, o) -> {
            long[] axes = axes(n, in, o, axesInputSince);
            if (emptyNoop(n, axes)) {
                return new Value[] {in[0]};
            }
            return new Value[] {reduce(in[0], axes, Attrs.i(n, "keepdims", 1) != 0, kind)};
        });
    }

    /** A Reduce node's axes: the attribute before {@code axesInputSince}, the second input from then on. */
    static long[] axes(Node n, Value[] in, int opset, int axesInputSince) {
        if (opset >= axesInputSince) {
            return in.length > 1 && in[1] != null ? in[1].asLongs() : null;
        }
        return n.attribute("axes").map(a -> a.asLongs()).orElse(null);
    }

    /** Whether the node reduces nothing (no axes and noop_with_empty_axes): its output is its input. */
    static boolean emptyNoop(Node n, long[] axes) {
        return (axes == null || axes.length == 0) && Attrs.i(n, "noop_with_empty_axes", 0) != 0;
    }

    /** Which dims {@code axes} reduces (all of them when there are none). */
    static boolean[] reducedDims(long[] axes, int rank) {
        boolean[] reduced = new boolean[rank];
        if (axes == null || axes.length == 0) {
            Arrays.fill(reduced, true);
        } else {
            for (long a : axes) reduced[Attrs.axis(a, rank)] = true;
        }
        return reduced;
    }

    /** The output shape: reduced dims as 1, or dropped without {@code keep}. */
    static int[] outputShape(int[] shape, boolean[] reduced, boolean keep) {
        int kept = 0;
        for (int d = 0; d < shape.length; d++) if (!reduced[d] || keep) kept++;
        int[] out = new int[kept];
        for (int d = 0, j = 0; d < shape.length; d++) {
            if (keep) out[j++] = reduced[d] ? 1 : shape[d];
            else if (!reduced[d]) out[j++] = shape[d];
        }
        return out;
    }

    /**
     * The tensor as [outer, len, inner] rows reduced along len, when the reduced dims (size-1 ones aside) are
     * adjacent; null otherwise, or for an empty reduction (which keeps its identity in the general path).
     */
    static int[] adjacentRows(int[] shape, boolean[] reduced) {
        int r = shape.length;
        int first = -1;
        int last = -1;
        for (int d = 0; d < r; d++) {
            if (reduced[d] && shape[d] > 1) {
                if (first < 0) first = d;
                last = d;
            }
        }
        if (first < 0) {
            first = 0;
            last = -1;
        }
        for (int d = first; d <= last; d++) {
            if (!reduced[d] && shape[d] > 1) {
                return null;
            }
        }
        int outer = 1;
        int len = 1;
        int inner = 1;
        for (int d = 0; d < r; d++) {
            if (d < first) outer *= shape[d];
            else if (d <= last) len *= shape[d];
            else inner *= shape[d];
        }
        return len == 0 ? null : new int[] {outer, len, inner};
    }

    static Value reduce(Value x, long[] axesArg, boolean keep, Kind kind) {
        int r = x.rank();
        boolean[] reduced = reducedDims(axesArg, r);
        int[] outShape = outputShape(x.shape, reduced, true);
        int[] shape = keep ? outShape : outputShape(x.shape, reduced, false);
        float[] fast = reduceFloats(x, reduced, kind);
        if (fast != null) {
            return Value.floats(shape, fast);
        }
        int outSize = Value.size(outShape);
        double[] acc = new double[outSize];
        double init = switch (kind) {
            case MAX -> Double.NEGATIVE_INFINITY;
            case MIN -> Double.POSITIVE_INFINITY;
            case PROD -> 1;
            default -> 0;
        };
        Arrays.fill(acc, init);
        double[] shift = new double[outSize]; // per-output maximum for a stable log-sum-exp
        int[] so = Value.strides(outShape);
        int n = x.size();
        int[] idx = new int[r];
        int[] target = new int[n];
        for (int i = 0; i < n; i++) {
            int t = 0;
            for (int d = 0; d < r; d++) if (!reduced[d]) t += idx[d] * so[d];
            target[i] = t;
            for (int d = r - 1; d >= 0; d--) {
                if (++idx[d] < x.shape[d]) break;
                idx[d] = 0;
            }
        }
        if (kind == Kind.LOG_SUM_EXP) {
            Arrays.fill(shift, Double.NEGATIVE_INFINITY);
            for (int i = 0; i < n; i++) shift[target[i]] = Math.max(shift[target[i]], x.get(i));
        }
        int[] count = new int[outSize];
        for (int i = 0; i < n; i++) {
            double v = x.get(i);
            int t = target[i];
            count[t]++;
            acc[t] = switch (kind) {
                case SUM, MEAN, LOG_SUM -> acc[t] + v;
                case MAX -> Math.max(acc[t], v);
                case MIN -> Math.min(acc[t], v);
                case PROD -> acc[t] * v;
                case L1 -> acc[t] + Math.abs(v);
                case L2, SUM_SQUARE -> acc[t] + v * v;
                case LOG_SUM_EXP -> acc[t] + Math.exp(v - shift[t]);
            };
        }
        for (int t = 0; t < outSize; t++) {
            acc[t] = switch (kind) {
                case MEAN -> acc[t] / count[t];
                case L2 -> Math.sqrt(acc[t]);
                case LOG_SUM -> Math.log(acc[t]);
                case LOG_SUM_EXP -> count[t] == 0 ? Double.NEGATIVE_INFINITY : Math.log(acc[t]) + shift[t];
                default -> acc[t];
            };
        }
        return Value.ofDoubles(x.type, shape, acc);
    }

    /**
     * The float fast path when the reduced dims (size-1 ones aside) are adjacent, as in a LayerNorm's last axis or a
     * mean over H and W: the tensor is then [outer, len, inner] and each output sums one strided run, rows of a
     * contiguous run in double, columns of adjacent runs in float vectors. Null for other layouts and kinds.
     */
    private static float[] reduceFloats(Value x, boolean[] reduced, Kind kind) {
        if (x.type != DataType.FLOAT || !(kind == Kind.SUM || kind == Kind.MEAN || kind == Kind.MAX
                || kind == Kind.MIN || kind == Kind.SUM_SQUARE)) {
            return null;
        }
        int[] rows = adjacentRows(x.shape, reduced);
        if (rows == null) {
            return null;
        }
        int outer = rows[0];
        int len = rows[1];
        int inner = rows[2];
        float[] v = x.f;
        float[] o = Buffers.floats(outer * inner);
        for (int ou = 0; ou < outer; ou++) {
            int base = ou * len * inner;
            if (inner == 1) {
                double acc = kind == Kind.MAX ? Double.NEGATIVE_INFINITY : kind == Kind.MIN ? Double.POSITIVE_INFINITY : 0;
                switch (kind) {
                    case MAX -> {
                        for (int k = 0; k < len; k++) acc = Math.max(acc, v[base + k]);
                    }
                    case MIN -> {
                        for (int k = 0; k < len; k++) acc = Math.min(acc, v[base + k]);
                    }
                    case SUM_SQUARE -> {
                        for (int k = 0; k < len; k++) acc += (double) v[base + k] * v[base + k];
                    }
                    default -> { // four chains, so the adds overlap instead of waiting on one another
                        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                        int k = 0;
                        for (; k + 3 < len; k += 4) {
                            s0 += v[base + k];
                            s1 += v[base + k + 1];
                            s2 += v[base + k + 2];
                            s3 += v[base + k + 3];
                        }
                        for (; k < len; k++) s0 += v[base + k];
                        acc = (s0 + s1) + (s2 + s3);
                    }
                }
                o[ou] = (float) (kind == Kind.MEAN ? acc / len : acc);
            } else {
                int dst = ou * inner;
                System.arraycopy(v, base, o, dst, inner);
                if (kind == Kind.SUM_SQUARE) {
                    for (int i = 0; i < inner; i++) o[dst + i] *= o[dst + i];
                }
                for (int k = 1; k < len; k++) {
                    int src = base + k * inner;
                    switch (kind) {
                        case MAX -> {
                            for (int i = 0; i < inner; i++) o[dst + i] = Math.max(o[dst + i], v[src + i]);
                        }
                        case MIN -> {
                            for (int i = 0; i < inner; i++) o[dst + i] = Math.min(o[dst + i], v[src + i]);
                        }
                        case SUM_SQUARE -> {
                            for (int i = 0; i < inner; i++) o[dst + i] += v[src + i] * v[src + i];
                        }
                        default -> {
                            for (int i = 0; i < inner; i++) o[dst + i] += v[src + i];
                        }
                    }
                }
                if (kind == Kind.MEAN) {
                    for (int i = 0; i < inner; i++) o[dst + i] /= len;
                }
            }
        }
        return o;
    }

    /** LogSoftmax ({@code log}) or Hardmax over rows: flattened at {@code axis} before opset 13, along it from 13. */
    private static Value rows(Value x, long axisAttr, int opset, boolean log) {
        int[] rows = ElementwiseKernels.rows(x, axisAttr, opset);
        int outer = rows[0];
        int len = rows[1];
        int inner = rows[2];
        double[] out = new double[x.size()];
        for (int o = 0; o < outer; o++) {
            for (int in = 0; in < inner; in++) {
                int base = o * len * inner + in;
                double max = Double.NEGATIVE_INFINITY;
                int arg = 0;
                for (int j = 0; j < len; j++) {
                    double v = x.get(base + j * inner);
                    if (v > max) {
                        max = v;
                        arg = j;
                    }
                }
                if (log) {
                    double sum = 0;
                    for (int j = 0; j < len; j++) sum += Math.exp(x.get(base + j * inner) - max);
                    double lse = max + Math.log(sum);
                    for (int j = 0; j < len; j++) out[base + j * inner] = x.get(base + j * inner) - lse;
                } else if (len > 0) {
                    out[base + arg * inner] = 1;
                }
            }
        }
        return Value.ofDoubles(x.type, x.shape, out);
    }

    /** Normalizes over the dimensions from {@code axis} on; outputs Y and, when asked for, Mean and InvStdDev. */
    private static Value[] layerNorm(Node n, Value[] in, int opset) {
        Value x = in[0];
        int r = x.rank();
        int axis = Attrs.axis(Attrs.i(n, "axis", -1), r);
        double eps = Attrs.f(n, "epsilon", 1e-5f);
        int outer = 1;
        for (int d = 0; d < axis; d++) outer *= x.shape[d];
        int len = x.size() / Math.max(outer, 1);
        Value scale = in[1];
        Value bias = in.length > 2 ? in[2] : null;
        int[] normShape = Arrays.copyOfRange(x.shape, axis, r);
        int[] ss = ElementwiseKernels.broadcastStrides(scale.shape, normShape);
        int[] sb = bias == null ? null : ElementwiseKernels.broadcastStrides(bias.shape, normShape);
        int[] sn = Value.strides(normShape);
        double[] y = new double[x.size()];
        double[] mean = new double[outer];
        double[] inv = new double[outer];
        for (int o = 0; o < outer; o++) {
            double m = 0;
            for (int j = 0; j < len; j++) m += x.get(o * len + j);
            m /= len;
            double var = 0;
            for (int j = 0; j < len; j++) {
                double dlt = x.get(o * len + j) - m;
                var += dlt * dlt;
            }
            var /= len;
            double is = 1 / Math.sqrt(var + eps);
            mean[o] = m;
            inv[o] = is;
            for (int j = 0; j < len; j++) {
                int si = 0;
                int bi = 0;
                int rem = j;
                for (int d = 0; d < normShape.length; d++) {
                    int c = rem / sn[d];
                    rem %= sn[d];
                    si += c * ss[d];
                    if (sb != null) bi += c * sb[d];
                }
                y[o * len + j] = (x.get(o * len + j) - m) * is * scale.get(si) + (bias == null ? 0 : bias.get(bi));
            }
        }
        int[] statShape = x.shape.clone();
        for (int d = axis; d < r; d++) statShape[d] = 1;
        DataType statType = DataType.FLOAT;
        return new Value[] {Value.ofDoubles(x.type, x.shape, y), Value.ofDoubles(statType, statShape, mean),
                Value.ofDoubles(statType, statShape, inv)};
    }
}
