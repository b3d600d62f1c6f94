package org.polaris.workbench.engine.exec;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.polaris.workbench.engine.job.EnginePool;

import java.util.List;
import java.util.Random;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The float32 element-wise loops against the plain double definitions: every binary op over broadcast layouts that
 * exercise each run kind (both contiguous, one repeated, merged outer dimensions, a lone long run split over threads),
 * on one thread and on two; every unary op over a range that includes large, tiny, negative and special values. Runs
 * again in the scalar-kernel execution, so both the SIMD and the scalar transcendental loops are checked.
 */
class FloatMathTest {

    private static final EnginePool ONE = new EnginePool(1);
    private static final EnginePool TWO = new EnginePool(2);

    @AfterAll
    static void close() {
        ONE.close();
        TWO.close();
    }

    @Test
    void sumsAgreeWithDoubleSumsForEveryLengthAndOffset() {
        // the lengths cross the SIMD sum's scalar cut-off (four vectors) and its two-vector steps with every tail
        Random r = new Random(5);
        float[] x = new float[700];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * 10);
        for (int from : new int[] {0, 1, 7}) {
            for (int len = 0; len <= 600; len++) {
                double expected = 0;
                double magnitude = 0;
                for (int k = from; k < from + len; k++) {
                    expected += x[k];
                    magnitude += Math.abs(x[k]);
                }
                assertEquals(expected, FloatMath.LANES.sum(x, from, from + len), 1e-6 * magnitude + 1e-9,
                        "sum of " + len + " from " + from);
            }
        }
    }

    private static final List<int[][]> SHAPES = List.of(
            new int[][] {{2, 3, 4}, {2, 3, 4}},
            new int[][] {{1, 3, 4, 5}, {1, 3, 1, 1}},
            new int[][] {{1, 3, 1, 1}, {1, 3, 4, 5}},
            new int[][] {{2, 3, 4}, {4}},
            new int[][] {{3, 1}, {1, 4}},
            new int[][] {{5}, {}},
            new int[][] {{}, {5}},
            new int[][] {{}, {}},
            new int[][] {{1, 5, 6, 7}, {1, 5, 6, 1}},
            new int[][] {{2, 1, 4, 1}, {1, 3, 1, 5}},
            new int[][] {{0, 3}, {1, 3}},
            new int[][] {{1, 64, 32, 32}, {1, 64, 1, 1}}, // blocks split over threads
            new int[][] {{1, 96, 24, 24}, {1, 1, 24, 24}},
            new int[][] {{70000}, {1}}, // one long run split over threads
            new int[][] {{2, 40000}, {2, 40000}});

    @ParameterizedTest
    @EnumSource(FloatMath.Binary.class)
    void binaryMatchesTheDoubleDefinitionOnEveryBroadcastLayout(FloatMath.Binary op) {
        DoubleBinaryOperator ref = switch (op) {
            case ADD -> Double::sum;
            case SUB -> (x, y) -> x - y;
            case MUL -> (x, y) -> x * y;
            case DIV -> (x, y) -> x / y;
            case MAX -> Math::max;
            case MIN -> Math::min;
            case POW -> Math::pow;
        };
        Random r = new Random(7);
        for (int[][] s : SHAPES) {
            Value a = random(s[0], r, op == FloatMath.Binary.POW);
            Value b = op == FloatMath.Binary.POW && s[1].length == 0 ? Value.floats(s[1], new float[] {2f})
                    : random(s[1], r, false);
            float[] want = ElementwiseKernels.binary(a, b, ref).f;
            for (EnginePool pool : List.of(ONE, TWO)) {
                Value got = FloatMath.binary(pool, op, a, b);
                assertArrayEquals(ElementwiseKernels.broadcastShape(s[0], s[1]), got.shape,
                        op + " " + java.util.Arrays.deepToString(s));
                assertArrayEquals(want, got.f, op + " " + java.util.Arrays.deepToString(s) + " on "
                        + pool.threads() + " thread(s)");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(FloatMath.Unary.class)
    void unaryMatchesTheDoubleDefinition(FloatMath.Unary op) {
        float p = op == FloatMath.Unary.CLIP ? -1.5f : op == FloatMath.Unary.LEAKY_RELU ? 0.1f : 0.2f;
        float q = op == FloatMath.Unary.CLIP ? 2.5f : 0.5f;
        DoubleUnaryOperator ref = switch (op) {
            case RELU -> x -> Math.max(x, 0);
            case NEG -> x -> -x;
            case ABS -> Math::abs;
            case SQRT -> Math::sqrt;
            case RECIPROCAL -> x -> 1 / x;
            case EXP -> Math::exp;
            case LOG -> Math::log;
            case SIGMOID -> x -> 1 / (1 + Math.exp(-x));
            case TANH -> Math::tanh;
            case ERF -> MathKernels::erf;
            case GELU -> x -> 0.5 * x * (1 + MathKernels.erf(x / Math.sqrt(2)));
            case GELU_TANH -> x -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            case HARD_SIGMOID -> x -> Math.max(0, Math.min(1, p * x + q));
            case HARD_SWISH -> x -> x * Math.max(0, Math.min(1, x / 6 + 0.5));
            case LEAKY_RELU -> x -> x >= 0 ? x : p * x;
            case CLIP -> x -> Math.min(q, Math.max(p, x));
            case SILU -> x -> x / (1 + Math.exp(-x));
        };
        boolean positive = op == FloatMath.Unary.SQRT || op == FloatMath.Unary.LOG;
        float[] x = new float[40_000 + 13]; // over the split threshold on two threads, with a SIMD tail
        Random r = new Random(3);
        for (int k = 0; k < x.length; k++) {
            double v = switch (k % 4) {
                case 0 -> r.nextGaussian() * 8;
                case 1 -> r.nextGaussian() * 1e-3;
                case 2 -> (r.nextDouble() - 0.5) * 200;
                default -> r.nextGaussian();
            };
            x[k] = (float) (positive ? Math.abs(v) + 1e-6 : v);
        }
        x[0] = 0f;
        x[1] = -0f;
        if (!positive) {
            x[2] = Float.NaN;
        }
        Value in = Value.floats(new int[] {x.length}, x);
        for (EnginePool pool : List.of(ONE, TWO)) {
            float[] got = FloatMath.unary(pool, op, in, p, q).f;
            for (int k = 0; k < x.length; k++) {
                double want = ref.applyAsDouble(x[k]);
                if (Double.isNaN(want)) {
                    assertTrue(Float.isNaN(got[k]), op + "(" + x[k] + ") = " + got[k] + ", want NaN");
                    continue;
                }
                // float rounding of the exact value, plus a few ulp for the approximated transcendental functions
                double tol = 4 * Math.ulp((float) want) + 2e-7 * Math.abs(x[k]) + 1e-30;
                assertEquals(want, got[k], tol, op + "(" + x[k] + ") on " + pool.threads() + " thread(s)");
            }
        }
    }

    @Test
    void erfIsWithinEightUlpOfTheSeriesOverItsWholeRange() {
        double worstUlp = 0;
        double worstAbs = 0;
        for (float v = -6f; v <= 6f; v += 1e-4f) {
            double want = MathKernels.erf(v);
            double err = Math.abs(FloatMath.erf(v) - want);
            worstUlp = Math.max(worstUlp, err / Math.ulp((float) want));
            worstAbs = Math.max(worstAbs, err);
        }
        // measured: 6.7 ulp (4.0e-7) at 3.098, where erf is 0.99999
        assertTrue(worstUlp <= 8 && worstAbs <= 5e-7, "erf is " + worstUlp + " ulp (" + worstAbs + ") off");
        assertEquals(1f, FloatMath.erf(Float.POSITIVE_INFINITY));
        assertEquals(-1f, FloatMath.erf(Float.NEGATIVE_INFINITY));
        assertTrue(Float.isNaN(FloatMath.erf(Float.NaN)));
    }

    private static Value random(int[] shape, Random r, boolean positive) {
        float[] v = new float[Value.size(shape)];
        for (int k = 0; k < v.length; k++) {
            v[k] = (float) (positive ? r.nextDouble() * 3 + 0.1 : r.nextGaussian());
        }
        return Value.floats(shape, v);
    }
}
