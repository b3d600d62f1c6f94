package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Node;

import java.util.Map;

/**
 * The integer ops of QOperator-format models (QLinearConv, QLinearMatMul, and the com.microsoft QLinearAdd and
 * QLinearGlobalAveragePool): products of zero-point-shifted int8/uint8 codes accumulate in int32 (exact; see
 * {@link IntConv} for how convolutions use the float SIMD kernels without rounding), then one float multiply
 * rescales to the output's scale, rounding half to even and saturating as ONNX specifies.
 */
final class QLinearKernels {

    private QLinearKernels() {
    }

    /** The SIMD loops of the int8 path ({@code VectorQuant}); each returns where it stopped, the scalar loop finishes. */
    interface Lanes {
        int requantize(float[] acc, int from, int to, float bias, float scale, float lo, float hi, int z, byte[] out);

        int codesToFloats(byte[] codes, int n, boolean unsigned, int z, float[] out);

        /**
         * QuantizeLinear per tensor: {@code out[i] = round-half-even(clamp(x[i] / scale, lo, hi)) + z}, NaN to code 0
         * ({@code -z} in steps, within the bounds).
         */
        int quantize(float[] x, int n, float scale, float lo, float hi, int z, byte[] out);

        /** Folds the smallest and largest code of {@code codes[0..i)} into {@code loHi}; returns i. */
        int range(byte[] codes, int n, boolean unsigned, int[] loHi);
    }

    /** Handles nothing: the scalar loops do all of it. */
    private static final class ScalarLanes implements Lanes {
        @Override
        public int requantize(float[] acc, int from, int to, float bias, float scale, float lo, float hi, int z, byte[] out) {
            return from;
        }

        @Override
        public int codesToFloats(byte[] codes, int n, boolean unsigned, int z, float[] out) {
            return 0;
        }

        @Override
        public int quantize(float[] x, int n, float scale, float lo, float hi, int z, byte[] out) {
            return 0;
        }

        @Override
        public int range(byte[] codes, int n, boolean unsigned, int[] loHi) {
            return 0;
        }
    }

    static final Lanes LANES = selectLanes();

    private static Lanes selectLanes() {
        if (Boolean.getBoolean("polaris.scalar") || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return new ScalarLanes();
        }
        try {
            return (Lanes) Class.forName("org.polaris.workbench.engine.exec.VectorQuant").getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            return new ScalarLanes();
        }
    }

    static void register(Map<String, Kernel> k, EnginePool pool) {
        k.put("QLinearConv", (n, in, o) -> new Value[] {conv(pool, n, in)});
        k.put("QLinearMatMul", (n, in, o) -> new Value[] {matmul(in)});
        k.put("ConvInteger", (n, in, o) -> new Value[] {convInteger(pool, n, in)});
        k.put("com.microsoft:QGemm", (n, in, o) -> new Value[] {qgemm(n, in)});
        k.put("com.microsoft:QLinearAdd", (n, in, o) -> new Value[] {add(in)});
        k.put("com.microsoft:QLinearGlobalAveragePool", (n, in, o) -> new Value[] {globalAverage(n, in)});
    }

    /**
     * Codes minus their zero point, as int: blocks of {@code inner} codes share one zero point (per-tensor when
     * {@code zp} has one value), so the inner loop is a plain widening subtract.
     */
    static int[] shifted(Value q, Value zp, int axisLen, int inner) {
        int n = q.size();
        int[] out = new int[n];
        boolean perTensor = zp == null || zp.size() == 1;
        int block = perTensor ? n : inner;
        for (int start = 0, blk = 0; start < n; start += block, blk++) {
            int end = Math.min(n, start + block);
            int z = zp == null ? 0 : (int) zp.get(perTensor ? 0 : blk % axisLen);
            if (q.b != null && (q.type == DataType.UINT8)) {
                for (int i = start; i < end; i++) out[i] = (q.b[i] & 0xff) - z;
            } else if (q.b != null) {
                for (int i = start; i < end; i++) out[i] = q.b[i] - z;
            } else {
                for (int i = start; i < end; i++) out[i] = (int) q.get(i) - z;
            }
        }
        return out;
    }

    /** Shifted weight codes by weight array (weights are initializers: shifted once, not on every run). */
    private static final Map<Object, Object[]> WEIGHTS = java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    /**
     * Whether a weight's shifted codes are cached: a computed weight's array may be recycled by the arena and refilled,
     * so cached by identity it would go stale.
     */
    private static boolean cachedWeights(Value w, Value zp) {
        return w.b != null && Buffers.stable(w.b) && (zp == null || zp.b == null || Buffers.stable(zp.b));
    }

    private static int[] shiftedWeights(Value w, Value zp, int axisLen, int inner) {
        if (!cachedWeights(w, zp)) {
            return shifted(w, zp, axisLen, inner);
        }
        Object zpKey = zp == null ? null : zp.b != null ? zp.b : zp;
        Object[] hit = WEIGHTS.get(w.b);
        if (hit != null && hit[0] == zpKey) {
            return (int[]) hit[1];
        }
        int[] ws = shifted(w, zp, axisLen, inner);
        WEIGHTS.put(w.b, new Object[] {zpKey, ws});
        return ws;
    }

    /**
     * Rounds values already expressed in output steps (float32, as ONNX Runtime computes them: the combined scale
     * {@code s_in / s_out} is formed in float and applied to the int32 accumulator in float) and saturates.
     * Matching its float32 arithmetic, not just the math, keeps the engine bit-exact on most outputs; a double
     * computation would round differently at near-ties and the differences would compound through deep models.
     */
    private static Value requantize(float[] steps, int[] shape, Value yZp) {
        DataType t = yZp == null ? DataType.UINT8 : yZp.type;
        int lo = t == DataType.INT8 ? -128 : 0;
        int hi = t == DataType.INT8 ? 127 : 255;
        float z = yZp == null ? 0 : (float) yZp.get(0);
        byte[] out = Buffers.bytes(steps.length);
        float lo0 = lo - z;
        float hi0 = hi - z;
        int from = z == (int) z ? LANES.requantize(steps, 0, out.length, 0f, 1f, lo0, hi0, (int) z, out) : 0;
        for (int i = from; i < out.length; i++) {
            out[i] = (byte) (roundedBits(Math.max(lo0, Math.min(hi0, steps[i]))) + (int) z);
        }
        return Value.bytes(t, shape, out);
    }

    /**
     * Round half to even for |v| below 2^22 (here: within the code range): adding and removing 1.5 * 2^23 leaves the
     * float's rounding mode to do it, the same result as Math.rint without its call. Saturating before rounding is
     * the same as after, because the bounds are whole numbers.
     */
    static float roundEven(float v) {
        return (v + 12582912f) - 12582912f;
    }

    /** {@link #roundEven} as an int, read from the float's bits (|v| below 2^22): no float-to-int conversion. */
    static int roundedBits(float v) {
        return Float.floatToRawIntBits(v + 12582912f) - 0x4B400000;
    }

    /**
     * QLinearConv's requantization in one pass per output plane: the int32 accumulator plus bias (as the int path
     * forms it), times the channel's combined scale, saturated, rounded half to even, plus the zero point.
     */
    private static Value requantizeConv(Node n, float[] acc, int[] shape, int m, Value bias, float sx, float[] sw,
                                        float sy, Value yZp) {
        DataType t = yZp == null ? DataType.UINT8 : yZp.type;
        int lo = t == DataType.INT8 ? -128 : 0;
        int hi = t == DataType.INT8 ? 127 : 255;
        // a folded activation's code bounds narrow the saturation: clamping the rounded code to whole-number bounds
        // is the same as clamping before rounding, so this is clampCodes without its second pass
        var qmin = n.attribute(LoadTimeRewrites.QMIN);
        if (qmin.isPresent()) {
            lo = Math.max(lo, (int) qmin.get().asLong());
            hi = Math.min(hi, (int) n.attribute(LoadTimeRewrites.QMAX).orElseThrow().asLong());
        }
        int z = yZp == null ? 0 : (int) yZp.get(0);
        float lo0 = lo - z;
        float hi0 = hi - z;
        byte[] out = Buffers.bytes(acc.length);
        int plane = acc.length / (shape[0] * m);
        for (int b = 0; b < shape[0]; b++) {
            for (int oc = 0; oc < m; oc++) {
                int bv = bias != null ? (int) bias.get(oc) : 0;
                float scale = sx * sw[sw.length == 1 ? 0 : oc] / sy;
                int from = (b * m + oc) * plane;
                if (Math.abs(bv) > 1 << 24) { // a bias a float cannot hold: add it in int, as the int path does
                    for (int i = from; i < from + plane; i++) {
                        float v = ((int) acc[i] + bv) * scale;
                        out[i] = (byte) (roundedBits(Math.max(lo0, Math.min(hi0, v))) + z);
                    }
                    continue;
                }
                // acc (a whole number below 2^24) + bias rounds once in float, as (float) (int sum) does
                float bf = bv;
                for (int i = LANES.requantize(acc, from, from + plane, bf, scale, lo0, hi0, z, out); i < from + plane; i++) {
                    float v = (acc[i] + bf) * scale;
                    out[i] = (byte) (roundedBits(Math.max(lo0, Math.min(hi0, v))) + z);
                }
            }
        }
        return Value.bytes(t, shape, out);
    }

    /** x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, [bias int32]. */
    private static Value conv(EnginePool pool, Node n, Value[] in) {
        Value x = in[0];
        Value w = in[3];
        int m = w.shape[0];
        int perOut = w.size() / m;
        int[] ws = shiftedWeights(w, in[5], m, perOut);
        int[] shape = new int[4];
        float[] sw = in[4].f;
        float sx = in[1].f[0];
        float sy = in[6].f[0];
        // the common case: the whole layer is one exact float convolution; requantize its accumulators in place
        float[] exact = IntConv.exactFloat(pool, n, x, in[2], ws, w.shape, shape, cachedWeights(w, in[5]));
        if (exact != null) {
            Value y = requantizeConv(n, exact, shape, m, in.length > 8 ? in[8] : null, sx, sw, sy, in[7]);
            Buffers.release(exact);
            return y;
        }
        int[] xs = shifted(x, in[2], 1, 1);
        int[] acc = IntConv.conv(pool, n, xs, x.shape, ws, w.shape, shape);
        int plane = acc.length / (shape[0] * m);
        float[] steps = new float[acc.length];
        for (int b = 0; b < shape[0]; b++) {
            for (int oc = 0; oc < m; oc++) {
                int bias = in.length > 8 && in[8] != null ? (int) in[8].get(oc) : 0;
                float scale = sx * sw[sw.length == 1 ? 0 : oc] / sy;
                for (int i = (b * m + oc) * plane, end = i + plane; i < end; i++) {
                    steps[i] = (acc[i] + bias) * scale;
                }
            }
        }
        return clampCodes(n, requantize(steps, shape, in[7]));
    }

    /** x, w, [x_zero_point], [w_zero_point]: the int32 accumulators of the zero-point-shifted codes. */
    private static Value convInteger(EnginePool pool, Node n, Value[] in) {
        Value x = in[0];
        Value w = in[1];
        int m = w.shape[0];
        int[] xs = shifted(x, in.length > 2 ? in[2] : null, 1, 1);
        int[] ws = shifted(w, in.length > 3 ? in[3] : null, m, w.size() / m);
        int[] shape = new int[4];
        int[] acc = IntConv.conv(pool, n, xs, x.shape, ws, w.shape, shape);
        return Value.ints(shape, acc);
    }

    /** An activation folded in at load (QDQ fusion): clamp the output codes to Q(lo)..Q(hi). */
    private static Value clampCodes(Node n, Value y) {
        var qmin = n.attribute(LoadTimeRewrites.QMIN);
        if (qmin.isPresent()) {
            int lo = (int) qmin.get().asLong();
            int hi = (int) n.attribute(LoadTimeRewrites.QMAX).orElseThrow().asLong();
            boolean unsigned = y.type == DataType.UINT8;
            for (int i = 0; i < y.b.length; i++) {
                int v = unsigned ? y.b[i] & 0xff : y.b[i];
                y.b[i] = (byte) Math.max(lo, Math.min(hi, v));
            }
        }
        return y;
    }

    /**
     * com.microsoft QGemm, the subset quantized Linear layers use: A [M, K] times B ([K, N], or [N, K] with transB)
     * with per-tensor or per-output-channel B scales, an optional int32 bias of scale a_scale * b_scale, quantized
     * output (y_scale and y_zero_point); transA and alpha other than 1 are refused.
     * Inputs: A, a_scale, a_zp, B, b_scale, b_zp, C, y_scale, y_zp.
     */
    private static Value qgemm(Node n, Value[] in) {
        if (Attrs.i(n, "transA", 0) != 0 || Attrs.f(n, "alpha", 1f) != 1f || in.length < 9 || in[7] == null) {
            throw new IllegalArgumentException("QGemm is implemented without transA and alpha, with a quantized output");
        }
        boolean tb = Attrs.i(n, "transB", 0) == 1;
        Value a = in[0];
        Value b = in[3];
        int m = a.shape[0], k = a.shape[1];
        int nn = tb ? b.shape[0] : b.shape[1];
        int[] as = shifted(a, in[2], 1, 1);
        int[] bs;
        if (tb) {
            int[] rows = shiftedWeights(b, in[5], nn, k);
            bs = TRANSPOSED.computeIfAbsent(rows, r -> {
                int[] t = new int[k * nn];
                for (int j = 0; j < nn; j++) for (int p = 0; p < k; p++) t[p * nn + j] = r[j * k + p];
                return t;
            });
        } else {
            bs = shiftedWeights(b, in[5], nn, 1);
        }
        float[] steps = steps(as, bs, in[6], m, k, nn, in[1].f[0], in[4].f, in[7].f[0]);
        return clampCodes(n, requantize(steps, new int[] {m, nn}, in[8]));
    }

    /**
     * Output steps of A [m, k] times B [k, nn] on shifted codes: each row of C accumulates in int32 (starting from
     * the int32 bias, when there is one) while B streams row by row, then takes the per-column scale sa * sb / sy.
     */
    private static float[] steps(int[] as, int[] bs, Value bias, int m, int k, int nn, float sa, float[] sb, float sy) {
        float[] steps = new float[m * nn];
        int[] acc = IntConv.gemm(POOL, m, nn, k, as, bs);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < nn; j++) {
                int v = acc[i * nn + j] + (bias == null ? 0 : (int) bias.get(j));
                steps[i * nn + j] = v * (sa * sb[sb.length == 1 ? 0 : j] / sy);
            }
        }
        return steps;
    }

    /** Transposed shifted weights of QGemm layers with transB, per shifted-weight array. */
    private static final Map<int[], int[]> TRANSPOSED = java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    /** The int GEMMs of QLinearMatMul and QGemm run on the calling thread (they are one small product per run). */
    private static final EnginePool POOL = new EnginePool(1);

    /** a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp; 2-D with per-tensor or per-column b scales. */
    private static Value matmul(Value[] in) {
        Value a = in[0];
        Value b = in[3];
        int m = a.shape[a.rank() - 2];
        int k = a.shape[a.rank() - 1];
        int nn = b.shape[b.rank() - 1];
        int[] as = shifted(a, in[2], 1, 1);
        int[] bs = shiftedWeights(b, in[5], nn, 1);
        // batched: [..., M, K] x [K, N] folds the batch into M; [B, M, K] x [B, K, N] takes one product per entry
        int batches = a.size() / Math.max(1, m * k);
        int bBatches = b.size() / Math.max(1, k * nn);
        float[] steps;
        if (bBatches == 1) {
            steps = steps(as, bs, null, batches * m, k, nn, in[1].f[0], in[4].f, in[6].f[0]);
        } else if (bBatches == batches) {
            steps = new float[batches * m * nn];
            for (int t = 0; t < batches; t++) {
                float[] part = steps(java.util.Arrays.copyOfRange(as, t * m * k, (t + 1) * m * k),
                        java.util.Arrays.copyOfRange(bs, t * k * nn, (t + 1) * k * nn), null, m, k, nn, in[1].f[0],
                        in[4].f, in[6].f[0]);
                System.arraycopy(part, 0, steps, t * m * nn, m * nn);
            }
        } else {
            throw new IllegalArgumentException("QLinearMatMul batch dims " + batches + " and " + bBatches + " do not match");
        }
        int[] shape = (a.rank() >= b.rank() ? a.shape : b.shape).clone();
        shape[shape.length - 2] = m;
        shape[shape.length - 1] = nn;
        return requantize(steps, shape, in[7]);
    }

    /** a, a_scale, a_zp, b, b_scale, b_zp, c_scale, c_zp with broadcasting. */
    private static Value add(Value[] in) {
        Value a = in[0];
        Value b = in[3];
        float sc = in[6].f[0];
        float za = in[2] == null ? 0 : (float) in[2].get(0);
        float zb = in[5] == null ? 0 : (float) in[5].get(0);
        Value da = deq(a, in[1].f[0] / sc, za);
        Value db = deq(b, in[4].f[0] / sc, zb);
        if (java.util.Arrays.equals(a.shape, b.shape)) {
            // the common residual add: same shapes, summed in place (float + float, as the broadcasting path rounds)
            for (int i = 0; i < da.f.length; i++) da.f[i] += db.f[i];
            Buffers.release(db.f);
            Value y = requantize(da.f, da.shape, in[7]);
            Buffers.release(da.f);
            return y;
        }
        Value sum = ElementwiseKernels.binary(da, db, Double::sum);
        Buffers.release(da.f);
        Buffers.release(db.f);
        Value y = requantize(sum.f, sum.shape, in[7]);
        Buffers.release(sum.f);
        return y;
    }

    /**
     * Codes minus zero point, times {@code ratio} ({@code s_in / s_out}: the input in output steps; or the scale, for
     * DequantizeLinear of 8-bit codes, where the float product rounds as the double one does).
     */
    static Value deq(Value q, float ratio, float z) {
        float[] f = Buffers.uninitialized(q.size());
        int i = 0;
        if (q.b != null && z == (int) z && (q.type == DataType.UINT8 || q.type == DataType.INT8)) {
            // (code - z) is a whole number either way; times ratio rounds once, as the scalar line does
            i = LANES.codesToFloats(q.b, f.length, q.type == DataType.UINT8, (int) z, f);
            for (int j = 0; j < i; j++) f[j] *= ratio;
        }
        for (; i < f.length; i++) f[i] = ((float) q.get(i) - z) * ratio;
        return Value.floats(q.shape, f);
    }

    /** x, x_scale, x_zp, y_scale, y_zp; NCHW (channels_last = 0). */
    private static Value globalAverage(Node n, Value[] in) {
        Value x = in[0];
        if (Attrs.i(n, "channels_last", 0) != 0) {
            throw new IllegalArgumentException("QLinearGlobalAveragePool with channels_last is not implemented");
        }
        int z = in[2] == null ? 0 : (int) in[2].get(0);
        int plane = x.size() / (x.shape[0] * x.shape[1]);
        float ratio = in[1].f[0] / (in[3].f[0] * plane);
        float[] steps = new float[x.shape[0] * x.shape[1]];
        for (int i = 0; i < steps.length; i++) {
            int sum = 0;
            for (int k = 0; k < plane; k++) sum += (int) x.get(i * plane + k) - z;
            steps[i] = sum * ratio;
        }
        int[] shape = x.shape.clone();
        for (int d = 2; d < shape.length; d++) shape[d] = 1;
        return requantize(steps, shape, in[4]);
    }
}
