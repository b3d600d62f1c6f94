package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.DataType;

import java.util.Map;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;

/**
 * Element-wise math, logic and activations beyond {@link ElementwiseKernels}: unary functions on any numeric type
 * (float32 computed in float, integers kept integer), variadic Min/Max/Sum/Mean, comparisons and logic to bool,
 * Where, Cast, and the activations with attributes (LeakyRelu, Elu, Selu, Celu, HardSigmoid, HardSwish, Gelu, ...).
 * Each is the plain definition from the ONNX operator spec; the ONNX backend node tests are their reference.
 */
final class MathKernels {

    private MathKernels() {
    }

    static void register(Map<String, Kernel> k, EnginePool pool) {
        unary(k, pool, FloatMath.Unary.NEG, "Neg", x -> -x);
        unary(k, pool, FloatMath.Unary.ABS, "Abs", Math::abs);
        unary(k, pool, null, "Sign", Math::signum);
        unary(k, pool, null, "Floor", Math::floor);
        unary(k, pool, null, "Ceil", Math::ceil);
        unary(k, pool, null, "Round", Math::rint); // halves to even, as ONNX Round
        unary(k, pool, FloatMath.Unary.EXP, "Exp", Math::exp);
        unary(k, pool, FloatMath.Unary.LOG, "Log", Math::log);
        unary(k, pool, FloatMath.Unary.SQRT, "Sqrt", Math::sqrt);
        unary(k, pool, FloatMath.Unary.RECIPROCAL, "Reciprocal", x -> 1 / x);
        floatUnary(k, "Sin", Math::sin);
        floatUnary(k, "Cos", Math::cos);
        floatUnary(k, "Tan", Math::tan);
        floatUnary(k, "Asin", Math::asin);
        floatUnary(k, "Acos", Math::acos);
        floatUnary(k, "Atan", Math::atan);
        floatUnary(k, "Sinh", Math::sinh);
        floatUnary(k, "Cosh", Math::cosh);
        floatUnary(k, "Asinh", x -> Math.log(x + Math.sqrt(x * x + 1)));
        floatUnary(k, "Acosh", x -> Math.log(x + Math.sqrt(x * x - 1)));
        floatUnary(k, "Atanh", x -> 0.5 * Math.log((1 + x) / (1 - x)));
        unary(k, pool, FloatMath.Unary.ERF, "Erf", MathKernels::erf);
        floatUnary(k, "Softplus", x -> x > 30 ? x : Math.log1p(Math.exp(x)));
        floatUnary(k, "Softsign", x -> x / (1 + Math.abs(x)));
        floatUnary(k, "Mish", x -> x * Math.tanh(x > 30 ? x : Math.log1p(Math.exp(x))));
        unary(k, pool, FloatMath.Unary.HARD_SWISH, "HardSwish", x -> x * Math.max(0, Math.min(1, x / 6 + 0.5)));
        k.put("LeakyRelu", (n, in, o) -> {
            float a = Attrs.f(n, "alpha", 0.01f);
            if (in[0].type == DataType.FLOAT) {
                return one(FloatMath.unary(pool, FloatMath.Unary.LEAKY_RELU, in[0], a, 0));
            }
            return one(mapFloat(in[0], x -> x >= 0 ? x : a * x));
        });
        k.put("ThresholdedRelu", (n, in, o) -> {
            double a = Attrs.f(n, "alpha", 1f);
            return one(mapFloat(in[0], x -> x > a ? x : 0));
        });
        k.put("Elu", (n, in, o) -> {
            double a = Attrs.f(n, "alpha", 1f);
            return one(mapFloat(in[0], x -> x >= 0 ? x : a * (Math.exp(x) - 1)));
        });
        k.put("Celu", (n, in, o) -> {
            double a = Attrs.f(n, "alpha", 1f);
            return one(mapFloat(in[0], x -> Math.max(0, x) + Math.min(0, a * (Math.exp(x / a) - 1))));
        });
        k.put("Selu", (n, in, o) -> {
            double a = Attrs.f(n, "alpha", 1.67326319217681884765625f);
            double g = Attrs.f(n, "gamma", 1.05070102214813232421875f);
            return one(mapFloat(in[0], x -> x > 0 ? g * x : g * (a * Math.exp(x) - a)));
        });
        k.put("HardSigmoid", (n, in, o) -> {
            float a = Attrs.f(n, "alpha", 0.2f);
            float b = Attrs.f(n, "beta", 0.5f);
            if (in[0].type == DataType.FLOAT) {
                return one(FloatMath.unary(pool, FloatMath.Unary.HARD_SIGMOID, in[0], a, b));
            }
            return one(mapFloat(in[0], x -> Math.max(0, Math.min(1, a * x + b))));
        });
        k.put("Shrink", (n, in, o) -> {
            double bias = Attrs.f(n, "bias", 0f);
            double l = Attrs.f(n, "lambd", 0.5f);
            return one(map(in[0], in[0].type, x -> x < -l ? x + bias : x > l ? x - bias : 0));
        });
        k.put("Gelu", (n, in, o) -> {
            boolean tanh = Attrs.s(n, "approximate", "none").equals("tanh");
            if (in[0].type == DataType.FLOAT) {
                return one(FloatMath.unary(pool, tanh ? FloatMath.Unary.GELU_TANH : FloatMath.Unary.GELU, in[0], 0, 0));
            }
            return one(mapFloat(in[0], tanh
                    ? x -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)))
                    : x -> 0.5 * x * (1 + erf(x / Math.sqrt(2)))));
        });
        k.put("PRelu", (n, in, o) -> one(binary(in[0], in[1], in[0].type, (x, s) -> x >= 0 ? x : s * x)));
        k.put("Pow", (n, in, o) -> one(in[0].type == DataType.FLOAT && in[1].type == DataType.FLOAT
                ? FloatMath.binary(pool, FloatMath.Binary.POW, in[0], in[1]) : binary(in[0], in[1], in[0].type, Math::pow)));
        k.put("Mod", (n, in, o) -> {
            boolean fmod = Attrs.i(n, "fmod", 0) != 0;
            return one(binary(in[0], in[1], in[0].type, fmod ? (x, y) -> x % y : MathKernels::pythonMod));
        });
        variadic(k, pool, FloatMath.Binary.MAX, "Max", Math::max, false);
        variadic(k, pool, FloatMath.Binary.MIN, "Min", Math::min, false);
        variadic(k, pool, FloatMath.Binary.ADD, "Sum", Double::sum, false);
        variadic(k, pool, FloatMath.Binary.ADD, "Mean", Double::sum, true);
        compare(k, "Equal", (x, y) -> x == y);
        compare(k, "Greater", (x, y) -> x > y);
        compare(k, "Less", (x, y) -> x < y);
        compare(k, "GreaterOrEqual", (x, y) -> x >= y);
        compare(k, "LessOrEqual", (x, y) -> x <= y);
        compare(k, "And", (x, y) -> x != 0 && y != 0);
        compare(k, "Or", (x, y) -> x != 0 || y != 0);
        compare(k, "Xor", (x, y) -> (x != 0) != (y != 0));
        k.put("Not", (n, in, o) -> one(map(in[0], DataType.BOOL, x -> x == 0 ? 1 : 0)));
        k.put("IsNaN", (n, in, o) -> one(map(in[0], DataType.BOOL, x -> Double.isNaN(x) ? 1 : 0)));
        k.put("IsInf", (n, in, o) -> {
            boolean neg = Attrs.i(n, "detect_negative", 1) != 0;
            boolean pos = Attrs.i(n, "detect_positive", 1) != 0;
            return one(map(in[0], DataType.BOOL, x -> (pos && x == Double.POSITIVE_INFINITY)
                    || (neg && x == Double.NEGATIVE_INFINITY) ? 1 : 0));
        });
        k.put("Where", (n, in, o) -> one(where(in[0], in[1], in[2])));
        k.put("Cast", (n, in, o) -> one(cast(in[0], DataType.fromCode((int) Attrs.i(n, "to", 1)))));
        k.put("CastLike", (n, in, o) -> one(cast(in[0], in[1].type)));
    }

    private static Value[] one(Value v) {
        return new Value[] {v};
    }

    /** Same-type unary op: float32 in float, integers through double (exact for int32 and common int64 values). */
    /** {@code fast} (when not null) computes float32 inputs; other types, and the reference, use {@code f}. */
    private static void unary(Map<String, Kernel> k, EnginePool pool, FloatMath.Unary fast, String op,
                              DoubleUnaryOperator f) {
        k.put(op, (n, in, o) -> one(fast != null && in[0].type == DataType.FLOAT
                ? FloatMath.unary(pool, fast, in[0], 0, 0) : map(in[0], in[0].type, f)));
    }

    private static void floatUnary(Map<String, Kernel> k, String op, DoubleUnaryOperator f) {
        k.put(op, (n, in, o) -> one(mapFloat(in[0], f)));
    }

    static Value mapFloat(Value x, DoubleUnaryOperator f) {
        if (x.type != DataType.FLOAT) {
            return map(x, x.type, f);
        }
        float[] out = Buffers.floats(x.size());
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) f.applyAsDouble(x.f[i]);
        }
        return Value.floats(x.shape, out);
    }

    static Value map(Value x, DataType outType, DoubleUnaryOperator f) {
        if (x.type == DataType.FLOAT && outType == DataType.FLOAT) {
            return mapFloat(x, f);
        }
        double[] v = new double[x.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = f.applyAsDouble(x.get(i));
        }
        return Value.ofDoubles(outType, x.shape, v);
    }

    /** Numpy-broadcast binary op producing {@code outType}. */
    static Value binary(Value a, Value b, DataType outType, DoubleBinaryOperator f) {
        int[] shape = ElementwiseKernels.broadcastShape(a.shape, b.shape);
        int[] ia = ElementwiseKernels.broadcastSources(a.shape, shape);
        int[] ib = ElementwiseKernels.broadcastSources(b.shape, shape);
        double[] out = new double[ia.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = f.applyAsDouble(a.get(ia[i]), b.get(ib[i]));
        }
        return Value.ofDoubles(outType, shape, out);
    }

    private interface Predicate2 {
        boolean test(double x, double y);
    }

    private static void compare(Map<String, Kernel> k, String op, Predicate2 p) {
        FloatCompare fast = FloatCompare.of(op);
        k.put(op, (n, in, o) -> {
            Value direct = fast == null ? null : fast.apply(in[0], in[1]);
            return one(direct != null ? direct
                    : binary(in[0], in[1], DataType.BOOL, (x, y) -> p.test(x, y) ? 1 : 0));
        });
    }

    /**
     * Comparisons of two float tensors of one shape, or of a tensor and a single value that does not widen it (a
     * detector's score threshold): one loop per comparison straight into the bool bytes, the same float comparison
     * the double path makes (float to double is exact). Anything else takes the broadcasting path.
     */
    enum FloatCompare {
        EQUAL, GREATER, LESS, GREATER_OR_EQUAL, LESS_OR_EQUAL;

        static FloatCompare of(String op) {
            return switch (op) {
                case "Equal" -> EQUAL;
                case "Greater" -> GREATER;
                case "Less" -> LESS;
                case "GreaterOrEqual" -> GREATER_OR_EQUAL;
                case "LessOrEqual" -> LESS_OR_EQUAL;
                default -> null;
            };
        }

        /** The bool result, or null when the inputs are not floats of these shapes. */
        Value apply(Value a, Value b) {
            if (a.f == null || b.f == null) {
                return null;
            }
            int[] shape = ElementwiseKernels.broadcastShape(a.shape, b.shape);
            boolean same = java.util.Arrays.equals(a.shape, b.shape);
            boolean bOne = !same && b.f.length == 1 && java.util.Arrays.equals(shape, a.shape);
            boolean aOne = !same && !bOne && a.f.length == 1 && java.util.Arrays.equals(shape, b.shape);
            if (!same && !bOne && !aOne) {
                return null;
            }
            int n = Value.size(shape);
            byte[] out = new byte[n];
            if (aOne) { // x op y with x fixed is y (mirrored op) x
                compare(mirrored(), b.f, null, a.f[0], out);
            } else {
                compare(this, a.f, same ? b.f : null, same ? 0f : b.f[0], out);
            }
            return Value.bytes(DataType.BOOL, shape, out);
        }

        private FloatCompare mirrored() {
            return switch (this) {
                case GREATER -> LESS;
                case LESS -> GREATER;
                case GREATER_OR_EQUAL -> LESS_OR_EQUAL;
                case LESS_OR_EQUAL -> GREATER_OR_EQUAL;
                case EQUAL -> EQUAL;
            };
        }

        /** out[i] = x[i] op (y == null ? c : y[i]). */
        private static void compare(FloatCompare op, float[] x, float[] y, float c, byte[] out) {
            int n = out.length;
            switch (op) {
                case EQUAL -> {
                    for (int i = 0; i < n; i++) out[i] = (byte) (x[i] == (y == null ? c : y[i]) ? 1 : 0);
                }
                case GREATER -> {
                    for (int i = 0; i < n; i++) out[i] = (byte) (x[i] > (y == null ? c : y[i]) ? 1 : 0);
                }
                case LESS -> {
                    for (int i = 0; i < n; i++) out[i] = (byte) (x[i] < (y == null ? c : y[i]) ? 1 : 0);
                }
                case GREATER_OR_EQUAL -> {
                    for (int i = 0; i < n; i++) out[i] = (byte) (x[i] >= (y == null ? c : y[i]) ? 1 : 0);
                }
                case LESS_OR_EQUAL -> {
                    for (int i = 0; i < n; i++) out[i] = (byte) (x[i] <= (y == null ? c : y[i]) ? 1 : 0);
                }
            }
        }
    }

    private static void variadic(Map<String, Kernel> k, EnginePool pool, FloatMath.Binary fast, String op,
                                 DoubleBinaryOperator f, boolean mean) {
        k.put(op, (n, in, o) -> {
            Value acc = in[0];
            for (int i = 1; i < in.length; i++) {
                acc = acc.type == DataType.FLOAT && in[i].type == DataType.FLOAT
                        ? FloatMath.binary(pool, fast, acc, in[i]) : binary(acc, in[i], in[0].type, f);
            }
            if (mean && in.length > 1) {
                int count = in.length;
                acc = map(acc, in[0].type, x -> x / count);
            }
            return one(in.length == 1 ? map(acc, acc.type, x -> x) : acc);
        });
    }

    private static Value where(Value c, Value x, Value y) {
        int[] shape = ElementwiseKernels.broadcastShape(c.shape, ElementwiseKernels.broadcastShape(x.shape, y.shape));
        int[] ic = ElementwiseKernels.broadcastSources(c.shape, shape);
        int[] ix = ElementwiseKernels.broadcastSources(x.shape, shape);
        int[] iy = ElementwiseKernels.broadcastSources(y.shape, shape);
        double[] out = new double[ic.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = c.get(ic[i]) != 0 ? x.get(ix[i]) : y.get(iy[i]);
        }
        return Value.ofDoubles(x.type, shape, out);
    }

    static Value cast(Value x, DataType to) {
        if (to == x.type) {
            return x;
        }
        if (to == DataType.STRING || to == DataType.UNDEFINED) {
            throw new IllegalArgumentException("Cast to " + to + " is not supported");
        }
        double[] v = x.toDoubles();
        if (to == DataType.FLOAT16) {
            for (int i = 0; i < v.length; i++) {
                v[i] = org.polaris.workbench.engine.model.Tensor.halfToFloat(
                        org.polaris.workbench.engine.model.TensorEncoder.toHalf((float) v[i]));
            }
        } else if (to == DataType.BFLOAT16) {
            for (int i = 0; i < v.length; i++) {
                int bits = Float.floatToRawIntBits((float) v[i]);
                // round to nearest even on the upper 16 bits (NaN kept)
                int rounded = Float.isNaN((float) v[i]) ? bits : bits + 0x7fff + ((bits >>> 16) & 1);
                v[i] = Float.intBitsToFloat(rounded & 0xffff0000);
            }
        }
        return Value.ofDoubles(to, x.shape, v);
    }

    /** Python's modulo (the result takes the divisor's sign), ONNX Mod with fmod=0. */
    private static double pythonMod(double x, double y) {
        double r = x % y;
        return r != 0 && (r < 0) != (y < 0) ? r + y : r;
    }

    /** erf to float32 precision (Abramowitz-Stegun 7.1.26 is too coarse): series near 0, continued fraction beyond. */
    static double erf(double x) {
        double ax = Math.abs(x);
        double r;
        if (ax < 2.5) {
            // Maclaurin series: 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))
            double term = ax;
            double sum = ax;
            double x2 = ax * ax;
            for (int n = 1; n < 60; n++) {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17 * Math.abs(sum)) {
                    break;
                }
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else if (ax > 6) {
            r = 1;
        } else {
            // erfc continued fraction (Lentz), accurate for x >= 2.5
            double f = ax;
            double c = ax;
            double d = 0;
            for (int n = 1; n < 200; n++) {
                double an = n / 2.0;
                d = ax + an * d;
                d = d == 0 ? 1e-300 : d;
                c = ax + an / c;
                c = c == 0 ? 1e-300 : c;
                d = 1 / d;
                double delta = c * d;
                f *= delta;
                if (Math.abs(delta - 1) < 1e-16) {
                    break;
                }
            }
            r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
        }
        return x < 0 ? -r : r;
    }
}
