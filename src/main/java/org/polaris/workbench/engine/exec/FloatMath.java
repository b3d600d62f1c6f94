package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.job.EnginePool;

/**
 * float32 fast paths for the element-wise ops real models spend their time in (the Add/Mul/Div of a LayerNorm, the
 * Sigmoid and Mul of SiLU, the Erf of GELU, HardSwish, ...). Each op is one loop chosen before the loop starts, so the
 * JIT vectorizes the plain arithmetic; broadcasting walks the output in contiguous runs where each operand is either
 * contiguous or one repeated value; exp, tanh and erf go through {@link Lanes} (SIMD when the JVM has
 * jdk.incubator.vector). Large tensors are split over the engine pool. The double-precision definitions in
 * {@link MathKernels} stay the reference the tests compare against.
 */
final class FloatMath {

    private FloatMath() {
    }

    /** Binary ops with a float32 fast path. */
    enum Binary { ADD, SUB, MUL, DIV, MAX, MIN, POW }

    /**
     * Unary ops with a float32 fast path; {@code p} and {@code q} are their attributes where they have any. SILU
     * ({@code x * sigmoid(x)}) is no ONNX op: it is the Sigmoid-then-Mul pair a convolution's output is folded with.
     * The OpenCL kernels ({@code tensor.cl}) number the ops in this order.
     */
    enum Unary { RELU, NEG, ABS, SQRT, RECIPROCAL, EXP, LOG, SIGMOID, TANH, ERF, GELU, GELU_TANH, HARD_SIGMOID,
        HARD_SWISH, LEAKY_RELU, CLIP, SILU }

    /** Below this many elements a tensor is not worth splitting over threads. */
    static final int PARALLEL_MIN = 1 << 15;

    /** The transcendental loops: SIMD ({@code VectorMath}) when available, else the scalar ones below. */
    interface Lanes {
        /** {@code o[k] = f(x[k])} for k in [from, to), f one of EXP, LOG, SIGMOID, TANH, ERF, GELU, GELU_TANH, SILU. */
        void apply(Unary op, float[] x, float[] o, int from, int to);

        /** The sum of {@code x[from, to)}: in double with four accumulators here, in float lanes by the SIMD one. */
        default double sum(float[] x, int from, int to) {
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            int k = from;
            for (; k + 4 <= to; k += 4) {
                s0 += x[k];
                s1 += x[k + 1];
                s2 += x[k + 2];
                s3 += x[k + 3];
            }
            for (; k < to; k++) s0 += x[k];
            return s0 + s1 + s2 + s3;
        }
    }

    static final Lanes LANES = select();

    private static Lanes select() {
        if (Boolean.getBoolean("polaris.scalar") || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return FloatMath::scalarLanes;
        }
        try {
            return (Lanes) Class.forName("org.polaris.workbench.engine.exec.VectorMath").getDeclaredConstructor()
                    .newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            return FloatMath::scalarLanes;
        }
    }

    // ---------------------------------------------------------------- unary

    static Value unary(EnginePool pool, Unary op, Value x, float p, float q) {
        int n = x.size();
        float[] o = Buffers.uninitialized(n); // every element is written
        float[] in = x.f;
        if (n >= PARALLEL_MIN && pool.threads() > 1) {
            int chunks = pool.threads() * 4;
            int per = (n + chunks - 1) / chunks;
            pool.parallelFor(chunks, 1, c -> unaryRange(op, in, o, c * per, Math.min(n, (c + 1) * per), p, q));
        } else {
            unaryRange(op, in, o, 0, n, p, q);
        }
        return Value.floats(x.shape, o);
    }

    static void unaryRange(Unary op, float[] x, float[] o, int from, int to, float p, float q) {
        switch (op) {
            case RELU -> {
                for (int k = from; k < to; k++) o[k] = Math.max(x[k], 0f);
            }
            case NEG -> {
                for (int k = from; k < to; k++) o[k] = -x[k];
            }
            case ABS -> {
                for (int k = from; k < to; k++) o[k] = Math.abs(x[k]);
            }
            case SQRT -> {
                for (int k = from; k < to; k++) o[k] = (float) Math.sqrt(x[k]);
            }
            case RECIPROCAL -> {
                for (int k = from; k < to; k++) o[k] = 1f / x[k];
            }
            case HARD_SIGMOID -> {
                for (int k = from; k < to; k++) o[k] = Math.max(0f, Math.min(1f, p * x[k] + q));
            }
            case HARD_SWISH -> {
                for (int k = from; k < to; k++) o[k] = x[k] * Math.max(0f, Math.min(1f, x[k] * (1f / 6f) + 0.5f));
            }
            case LEAKY_RELU -> {
                for (int k = from; k < to; k++) o[k] = x[k] >= 0 ? x[k] : p * x[k];
            }
            case CLIP -> {
                for (int k = from; k < to; k++) o[k] = Math.min(q, Math.max(p, x[k]));
            }
            default -> LANES.apply(op, x, o, from, to);
        }
    }

    /** The scalar transcendental loops (the SIMD ones compute the same functions). */
    static void scalarLanes(Unary op, float[] x, float[] o, int from, int to) {
        switch (op) {
            case EXP -> {
                for (int k = from; k < to; k++) o[k] = (float) Math.exp(x[k]);
            }
            case LOG -> {
                for (int k = from; k < to; k++) o[k] = (float) Math.log(x[k]);
            }
            case SIGMOID -> {
                for (int k = from; k < to; k++) o[k] = (float) (1 / (1 + Math.exp(-x[k])));
            }
            case SILU -> {
                for (int k = from; k < to; k++) o[k] = (float) (x[k] / (1 + Math.exp(-x[k])));
            }
            case TANH -> {
                for (int k = from; k < to; k++) o[k] = (float) Math.tanh(x[k]);
            }
            case ERF -> {
                for (int k = from; k < to; k++) o[k] = erf(x[k]);
            }
            case GELU -> {
                for (int k = from; k < to; k++) o[k] = 0.5f * x[k] * (1f + erf(x[k] * SQRT1_2));
            }
            case GELU_TANH -> {
                for (int k = from; k < to; k++) {
                    float v = x[k];
                    o[k] = 0.5f * v * (1f + (float) Math.tanh(SQRT_2_PI * (v + 0.044715f * v * v * v)));
                }
            }
            default -> throw new IllegalArgumentException(op + " is not a transcendental op");
        }
    }

    static final float SQRT1_2 = (float) Math.sqrt(0.5);
    static final float SQRT_2_PI = (float) Math.sqrt(2 / Math.PI);

    /*
     * erf in float32: the odd/even rational minimax fit on [-4, 4] that Eigen and XLA use for float (beyond 4, erf is
     * +-1 in float32). A few ulp from the exact value; ErfTest checks it against MathKernels.erf over the range.
     */
    static final float ERF_A1 = -1.60960333262415e-02f;
    static final float ERF_A3 = -2.95459980854025e-03f;
    static final float ERF_A5 = -7.34990630326855e-04f;
    static final float ERF_A7 = -5.69250639462346e-05f;
    static final float ERF_A9 = -2.10102402082508e-06f;
    static final float ERF_A11 = 2.77068142495902e-08f;
    static final float ERF_A13 = -2.72614225801306e-10f;
    static final float ERF_B0 = -1.42647390514189e-02f;
    static final float ERF_B2 = -7.37332916720468e-03f;
    static final float ERF_B4 = -1.68282697438203e-03f;
    static final float ERF_B6 = -2.13374055278905e-04f;
    static final float ERF_B8 = -1.45660718464996e-05f;

    static float erf(float v) {
        if (Float.isNaN(v)) {
            return v;
        }
        float x = Math.max(-4f, Math.min(4f, v));
        float x2 = x * x;
        float p = x2 * ERF_A13 + ERF_A11;
        p = x2 * p + ERF_A9;
        p = x2 * p + ERF_A7;
        p = x2 * p + ERF_A5;
        p = x2 * p + ERF_A3;
        p = x2 * p + ERF_A1;
        p = x * p;
        float q = x2 * ERF_B8 + ERF_B6;
        q = x2 * q + ERF_B4;
        q = x2 * q + ERF_B2;
        q = x2 * q + ERF_B0;
        return p / q;
    }

    // ---------------------------------------------------------------- binary

    /** Numpy-broadcast {@code op(a, b)} on two float32 tensors. */
    static Value binary(EnginePool pool, Binary op, Value a, Value b) {
        int[] shape = ElementwiseKernels.broadcastShape(a.shape, b.shape);
        int n = Value.size(shape);
        float[] o = Buffers.uninitialized(n); // every element is written
        if (n == 0) {
            return Value.floats(shape, o);
        }
        Runs runs = Runs.of(a.shape, b.shape, shape);
        int blocks = n / runs.len;
        if (n >= PARALLEL_MIN && pool.threads() > 1) {
            if (blocks >= 2 * pool.threads()) {
                int chunks = Math.min(blocks, pool.threads() * 4);
                int per = (blocks + chunks - 1) / chunks;
                pool.parallelFor(chunks, 1, c -> runs.blocks(op, a.f, b.f, o, c * per, Math.min(blocks, (c + 1) * per)));
            } else {
                // few long runs: split each run instead
                int chunks = pool.threads() * 4;
                int per = (runs.len + chunks - 1) / chunks;
                for (int blk = 0; blk < blocks; blk++) {
                    int[] off = runs.offsets(blk);
                    int oo = blk * runs.len;
                    pool.parallelFor(chunks, 1, c -> {
                        int s = c * per;
                        int e = Math.min(runs.len, s + per);
                        if (s < e) {
                            run(op, a.f, off[0] + s * runs.sa, runs.sa, b.f, off[1] + s * runs.sb, runs.sb, o, oo + s, e - s);
                        }
                    });
                }
            }
        } else {
            runs.blocks(op, a.f, b.f, o, 0, blocks);
        }
        return Value.floats(shape, o);
    }

    /**
     * A broadcast seen as runs: the output in blocks of {@code len} contiguous elements, over which each operand is
     * contiguous (step 1) or a single repeated value (step 0); the outer dimensions, merged where they can be, give
     * each block's start in each operand.
     */
    record Runs(int len, int sa, int sb, int[] dims, int[] strideA, int[] strideB) {

        static Runs of(int[] aShape, int[] bShape, int[] out) {
            int[] sa = ElementwiseKernels.broadcastStrides(aShape, out);
            int[] sb = ElementwiseKernels.broadcastStrides(bShape, out);
            int r = out.length;
            int[] dims = new int[r];
            int[] ca = new int[r];
            int[] cb = new int[r];
            int m = 0;
            for (int d = r - 1; d >= 0; d--) {
                if (out[d] == 1) {
                    continue;
                }
                if (m > 0 && ca[m - 1] * dims[m - 1] == sa[d] && cb[m - 1] * dims[m - 1] == sb[d]) {
                    dims[m - 1] *= out[d];
                } else {
                    dims[m] = out[d];
                    ca[m] = sa[d];
                    cb[m] = sb[d];
                    m++;
                }
            }
            if (m == 0) {
                return new Runs(1, 0, 0, new int[0], new int[0], new int[0]);
            }
            // outer groups, innermost first
            return new Runs(dims[0], ca[0], cb[0], java.util.Arrays.copyOfRange(dims, 1, m),
                    java.util.Arrays.copyOfRange(ca, 1, m), java.util.Arrays.copyOfRange(cb, 1, m));
        }

        /** The start of block {@code blk} in a and in b. */
        int[] offsets(int blk) {
            int oa = 0;
            int ob = 0;
            for (int g = 0; g < dims.length; g++) {
                int i = blk % dims[g];
                blk /= dims[g];
                oa += i * strideA[g];
                ob += i * strideB[g];
            }
            return new int[] {oa, ob};
        }

        void blocks(Binary op, float[] a, float[] b, float[] o, int from, int to) {
            if (from >= to) {
                return;
            }
            int[] off = offsets(from);
            int oa = off[0];
            int ob = off[1];
            int[] idx = new int[dims.length];
            int rest = from;
            for (int g = 0; g < dims.length; g++) {
                idx[g] = rest % dims[g];
                rest /= dims[g];
            }
            for (int blk = from; blk < to; blk++) {
                run(op, a, oa, sa, b, ob, sb, o, blk * len, len);
                for (int g = 0; g < dims.length; g++) {
                    idx[g]++;
                    oa += strideA[g];
                    ob += strideB[g];
                    if (idx[g] < dims[g]) {
                        break;
                    }
                    oa -= strideA[g] * dims[g];
                    ob -= strideB[g] * dims[g];
                    idx[g] = 0;
                }
            }
        }
    }

    /** One run: {@code o[oo+k] = op(a[oa + k*sa], b[ob + k*sb])}, each step 0 or 1. */
    static void run(Binary op, float[] a, int oa, int sa, float[] b, int ob, int sb, float[] o, int oo, int len) {
        if (sa == 1 && sb == 1) {
            vv(op, a, oa, b, ob, o, oo, len);
        } else if (sa == 1) {
            vs(op, a, oa, b[ob], o, oo, len);
        } else if (sb == 1) {
            sv(op, a[oa], b, ob, o, oo, len);
        } else {
            java.util.Arrays.fill(o, oo, oo + len, apply(op, a[oa], b[ob]));
        }
    }

    static float apply(Binary op, float x, float y) {
        return switch (op) {
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
            case DIV -> x / y;
            case MAX -> Math.max(x, y);
            case MIN -> Math.min(x, y);
            case POW -> (float) Math.pow(x, y);
        };
    }

    private static void vv(Binary op, float[] a, int oa, float[] b, int ob, float[] o, int oo, int len) {
        switch (op) {
            case ADD -> {
                for (int k = 0; k < len; k++) o[oo + k] = a[oa + k] + b[ob + k];
            }
            case SUB -> {
                for (int k = 0; k < len; k++) o[oo + k] = a[oa + k] - b[ob + k];
            }
            case MUL -> {
                for (int k = 0; k < len; k++) o[oo + k] = a[oa + k] * b[ob + k];
            }
            case DIV -> {
                for (int k = 0; k < len; k++) o[oo + k] = a[oa + k] / b[ob + k];
            }
            case MAX -> {
                for (int k = 0; k < len; k++) o[oo + k] = Math.max(a[oa + k], b[ob + k]);
            }
            case MIN -> {
                for (int k = 0; k < len; k++) o[oo + k] = Math.min(a[oa + k], b[ob + k]);
            }
            case POW -> {
                for (int k = 0; k < len; k++) o[oo + k] = (float) Math.pow(a[oa + k], b[ob + k]);
            }
        }
    }

    private static void vs(Binary op, float[] a, int oa, float y, float[] o, int oo, int len) {
        switch (op) {
            case ADD -> {
                for (int k = 0; k < len; k++) o[oo + k] = a[oa + k] + y;
            }
            case SUB -> {
                for (int k = 0; k < len; k++) o[oo + k] = a[oa + k] - y;
            }
            case MUL -> {
                for (int k = 0; k < len; k++) o[oo + k] = a[oa + k] * y;
            }
            case DIV -> {
                for (int k = 0; k < len; k++) o[oo + k] = a[oa + k] / y;
            }
            case MAX -> {
                for (int k = 0; k < len; k++) o[oo + k] = Math.max(a[oa + k], y);
            }
            case MIN -> {
                for (int k = 0; k < len; k++) o[oo + k] = Math.min(a[oa + k], y);
            }
            case POW -> {
                if (y == 2f) { // x*x rounds exactly as pow(x, 2) in double rounded to float
                    for (int k = 0; k < len; k++) o[oo + k] = a[oa + k] * a[oa + k];
                } else {
                    for (int k = 0; k < len; k++) o[oo + k] = (float) Math.pow(a[oa + k], y);
                }
            }
        }
    }

    private static void sv(Binary op, float x, float[] b, int ob, float[] o, int oo, int len) {
        switch (op) {
            case ADD -> {
                for (int k = 0; k < len; k++) o[oo + k] = x + b[ob + k];
            }
            case SUB -> {
                for (int k = 0; k < len; k++) o[oo + k] = x - b[ob + k];
            }
            case MUL -> {
                for (int k = 0; k < len; k++) o[oo + k] = x * b[ob + k];
            }
            case DIV -> {
                for (int k = 0; k < len; k++) o[oo + k] = x / b[ob + k];
            }
            case MAX -> {
                for (int k = 0; k < len; k++) o[oo + k] = Math.max(x, b[ob + k]);
            }
            case MIN -> {
                for (int k = 0; k < len; k++) o[oo + k] = Math.min(x, b[ob + k]);
            }
            case POW -> {
                for (int k = 0; k < len; k++) o[oo + k] = (float) Math.pow(x, b[ob + k]);
            }
        }
    }
}
