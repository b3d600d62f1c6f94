package org.polaris.workbench.engine.exec;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD transcendental loops for {@link FloatMath}: exp (and sigmoid, SiLU) by our own polynomial ({@link #exp}), log
 * and tanh as the Vector API's lane-wise operators (the JIT maps them to its vector math library), erf as the same
 * rational fit as {@link FloatMath#erf}; the tail of each range goes through the scalar loop. Loaded like
 * {@link VectorGemm}.
 */
final class VectorMath implements FloatMath.Lanes {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int W = S.length();

    /**
     * Each op's loop is a method of its own: inside one large switch the JIT gave up inlining some of the vector
     * operations, which then ran as the Vector API's scalar emulation (our exp at a quarter of its speed).
     */
    @Override
    public void apply(FloatMath.Unary op, float[] x, float[] o, int from, int to) {
        int k = switch (op) {
            case EXP -> expLoop(x, o, from, to);
            case LOG -> logLoop(x, o, from, to);
            case SIGMOID -> sigmoidLoop(x, o, from, to);
            case SILU -> siluLoop(x, o, from, to);
            case TANH -> tanhLoop(x, o, from, to);
            case ERF -> erfLoop(x, o, from, to);
            case GELU -> geluLoop(x, o, from, to);
            case GELU_TANH -> geluTanhLoop(x, o, from, to);
            default -> throw new IllegalArgumentException(op + " is not a transcendental op");
        };
        FloatMath.scalarLanes(op, x, o, k, to);
    }

    /* Each loop returns where it stopped: the scalar loop does the rest. */

    private static int expLoop(float[] x, float[] o, int k, int to) {
        for (; k + W <= to; k += W) {
            exp(FloatVector.fromArray(S, x, k)).intoArray(o, k);
        }
        return k;
    }

    private static int logLoop(float[] x, float[] o, int k, int to) {
        for (; k + W <= to; k += W) {
            FloatVector.fromArray(S, x, k).lanewise(VectorOperators.LOG).intoArray(o, k);
        }
        return k;
    }

    private static int sigmoidLoop(float[] x, float[] o, int k, int to) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (; k + W <= to; k += W) {
            one.div(exp(FloatVector.fromArray(S, x, k).neg()).add(1f)).intoArray(o, k);
        }
        return k;
    }

    private static int siluLoop(float[] x, float[] o, int k, int to) {
        for (; k + W <= to; k += W) {
            FloatVector v = FloatVector.fromArray(S, x, k);
            v.div(exp(v.neg()).add(1f)).intoArray(o, k);
        }
        return k;
    }

    private static int tanhLoop(float[] x, float[] o, int k, int to) {
        for (; k + W <= to; k += W) {
            FloatVector.fromArray(S, x, k).lanewise(VectorOperators.TANH).intoArray(o, k);
        }
        return k;
    }

    private static int erfLoop(float[] x, float[] o, int k, int to) {
        for (; k + W <= to; k += W) {
            erf(FloatVector.fromArray(S, x, k)).intoArray(o, k);
        }
        return k;
    }

    private static int geluLoop(float[] x, float[] o, int k, int to) {
        for (; k + W <= to; k += W) {
            FloatVector v = FloatVector.fromArray(S, x, k);
            erf(v.mul(FloatMath.SQRT1_2)).add(1f).mul(v).mul(0.5f).intoArray(o, k);
        }
        return k;
    }

    private static int geluTanhLoop(float[] x, float[] o, int k, int to) {
        for (; k + W <= to; k += W) {
            FloatVector v = FloatVector.fromArray(S, x, k);
            FloatVector inner = v.mul(v).mul(v).mul(0.044715f).add(v).mul(FloatMath.SQRT_2_PI);
            inner.lanewise(VectorOperators.TANH).add(1f).mul(v).mul(0.5f).intoArray(o, k);
        }
        return k;
    }

    /**
     * Two float vectors of partial sums (each lane adds every 2W-th element), added up by the lane reduction at the
     * end: the summation error grows with the count per lane, a 2W-th of the whole, so a 56x56 plane stays near 1e-7.
     * (The lanes used to go out through a small array: once a model had run, HotSpot kept this method compiled with
     * the vectors boxed, and EfficientNet-B0's squeeze-excitation pools took 250 instead of 18 us on a 672x14x14 map.)
     */
    @Override
    public double sum(float[] x, int from, int to) {
        if (to - from < 4 * W) {
            // a few vectors at most (MobileNetV3's 5x6 and 10x12 squeeze-excitation planes): the scalar loop's four
            // double sums cost less than setting up the lanes and adding them up
            return FloatMath.Lanes.super.sum(x, from, to);
        }
        FloatVector a = FloatVector.zero(S), b = FloatVector.zero(S);
        int k = from;
        for (; k + 2 * W <= to; k += 2 * W) {
            a = a.add(FloatVector.fromArray(S, x, k));
            b = b.add(FloatVector.fromArray(S, x, k + W));
        }
        double s = a.add(b).reduceLanes(VectorOperators.ADD);
        for (; k < to; k++) s += x[k];
        return s;
    }

    private static final float LOG2E = 1.44269504088896341f;
    /** ln 2 in two parts, the first with few enough bits that n * LN2_HI is exact for |n| < 2^9. */
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding it rounds a float below 2^22 in magnitude to an integer, held in the low mantissa bits. */
    private static final float ROUNDER = 12582912f;

    /**
     * e^x in float32: x = n ln 2 + r with |r| <= ln 2 / 2, e^r by the degree-6 polynomial of Cephes' expf (about 1
     * ulp), and 2^n made from n's bits in two halves so every n from -150 to 128 gives a normal factor (the product
     * rounds into the subnormals and overflows to infinity where float32 does). Sigmoid through it takes 133 us per
     * 262,144 floats against 209 through the Vector API's EXP operator on JDK 17 (KernelJmh), whose cost had made a
     * SiLU cost more than the convolution before it. NaN stays NaN (max/min keep it).
     */
    static FloatVector exp(FloatVector v) {
        FloatVector x = v.max(-104f).min(88.8f); // beyond these, e^x is 0 or infinity in float32
        FloatVector t = x.fma(LOG2E, ROUNDER);
        FloatVector n = t.sub(ROUNDER);
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector p = r.fma(1.9875691500E-4f, 1.3981999507E-3f);
        p = p.fma(r, FloatVector.broadcast(S, 8.3334519073E-3f));
        p = p.fma(r, FloatVector.broadcast(S, 4.1665795894E-2f));
        p = p.fma(r, FloatVector.broadcast(S, 1.6666665459E-1f));
        p = p.fma(r, FloatVector.broadcast(S, 5.0000001201E-1f));
        p = p.fma(r.mul(r), r).add(1f);
        IntVector ni = t.reinterpretAsInts().sub(0x4B400000);
        IntVector half = ni.lanewise(VectorOperators.ASHR, 1);
        FloatVector s1 = half.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = ni.sub(half).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(s1).mul(s2);
    }

    private static FloatVector erf(FloatVector v) {
        FloatVector x = v.max(-4f).min(4f); // NaN stays NaN through max/min, as in the scalar erf
        FloatVector x2 = x.mul(x);
        FloatVector p = x2.mul(FloatMath.ERF_A13).add(FloatMath.ERF_A11);
        p = x2.mul(p).add(FloatMath.ERF_A9);
        p = x2.mul(p).add(FloatMath.ERF_A7);
        p = x2.mul(p).add(FloatMath.ERF_A5);
        p = x2.mul(p).add(FloatMath.ERF_A3);
        p = x2.mul(p).add(FloatMath.ERF_A1);
        p = x.mul(p);
        FloatVector q = x2.mul(FloatMath.ERF_B8).add(FloatMath.ERF_B6);
        q = x2.mul(q).add(FloatMath.ERF_B4);
        q = x2.mul(q).add(FloatMath.ERF_B2);
        q = x2.mul(q).add(FloatMath.ERF_B0);
        return p.div(q);
    }
}
