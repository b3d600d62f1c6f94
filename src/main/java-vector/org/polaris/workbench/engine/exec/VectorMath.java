package org.polaris.workbench.engine.exec;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD transcendental loops for {@link FloatMath}: exp, log and tanh as the Vector API's lane-wise operators (the JIT
 * maps them to its vector math library), erf as the same rational fit as {@link FloatMath#erf}; the tail of each
 * range goes through the scalar loop. Loaded like {@link VectorGemm}.
 */
final class VectorMath implements FloatMath.Lanes {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int W = S.length();

    @Override
    public void apply(FloatMath.Unary op, float[] x, float[] o, int from, int to) {
        int k = from;
        switch (op) {
            case EXP -> {
                for (; k + W <= to; k += W) {
                    FloatVector.fromArray(S, x, k).lanewise(VectorOperators.EXP).intoArray(o, k);
                }
            }
            case LOG -> {
                for (; k + W <= to; k += W) {
                    FloatVector.fromArray(S, x, k).lanewise(VectorOperators.LOG).intoArray(o, k);
                }
            }
            case SIGMOID -> {
                for (; k + W <= to; k += W) {
                    FloatVector e = FloatVector.fromArray(S, x, k).neg().lanewise(VectorOperators.EXP).add(1f);
                    FloatVector.broadcast(S, 1f).div(e).intoArray(o, k);
                }
            }
            case SILU -> {
                for (; k + W <= to; k += W) {
                    FloatVector v = FloatVector.fromArray(S, x, k);
                    v.div(v.neg().lanewise(VectorOperators.EXP).add(1f)).intoArray(o, k);
                }
            }
            case TANH -> {
                for (; k + W <= to; k += W) {
                    FloatVector.fromArray(S, x, k).lanewise(VectorOperators.TANH).intoArray(o, k);
                }
            }
            case ERF -> {
                for (; k + W <= to; k += W) {
                    erf(FloatVector.fromArray(S, x, k)).intoArray(o, k);
                }
            }
            case GELU -> {
                for (; k + W <= to; k += W) {
                    FloatVector v = FloatVector.fromArray(S, x, k);
                    erf(v.mul(FloatMath.SQRT1_2)).add(1f).mul(v).mul(0.5f).intoArray(o, k);
                }
            }
            case GELU_TANH -> {
                for (; k + W <= to; k += W) {
                    FloatVector v = FloatVector.fromArray(S, x, k);
                    FloatVector inner = v.mul(v).mul(v).mul(0.044715f).add(v).mul(FloatMath.SQRT_2_PI);
                    inner.lanewise(VectorOperators.TANH).add(1f).mul(v).mul(0.5f).intoArray(o, k);
                }
            }
            default -> throw new IllegalArgumentException(op + " is not a transcendental op");
        }
        FloatMath.scalarLanes(op, x, o, k, to);
    }

    /**
     * Two float vectors of partial sums (each lane adds every 2W-th element), added in double at the end: the
     * summation error grows with the count per lane, a 2W-th of the whole, so a 56x56 plane stays near 1e-7.
     */
    @Override
    public double sum(float[] x, int from, int to) {
        FloatVector a = FloatVector.zero(S), b = FloatVector.zero(S);
        int k = from;
        for (; k + 2 * W <= to; k += 2 * W) {
            a = a.add(FloatVector.fromArray(S, x, k));
            b = b.add(FloatVector.fromArray(S, x, k + W));
        }
        double s = 0;
        for (int l = 0; l < W; l++) {
            s += (double) a.lane(l) + b.lane(l);
        }
        for (; k < to; k++) s += x[k];
        return s;
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
