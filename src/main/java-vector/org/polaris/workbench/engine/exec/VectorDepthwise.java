package org.polaris.workbench.engine.exec;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD inner loops of the depthwise convolution: the 3x3 stride-1 one, where a vector of adjacent output pixels takes
 * its nine taps as three unaligned loads from each of three input rows, the kernel-row pass of the phase-plane
 * path (any kernel, stride and dilation), and the channels-last pass of small maps (a vector of channels takes all
 * of a pixel's taps in a register), and the even/odd column split of stride-2 layers (and MaxPool's 2x2 window, the
 * maximum of each split pair). Loaded like {@link VectorGemm}. (That split by lane shuffles boxed in place on Java 17
 * and tripled MobileNetV2's latency; it narrows 64-bit lanes instead.)
 */
final class VectorDepthwise implements ConvKernels.RowTaps {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int W = S.length();

    @Override
    public int taps(float[] in, int r0, int r1, int r2, float[] k, int kOff, float bias, float[] out, int dst, int x0,
                    int x1) {
        FloatVector k0 = FloatVector.broadcast(S, k[kOff]), k1 = FloatVector.broadcast(S, k[kOff + 1]);
        FloatVector k2 = FloatVector.broadcast(S, k[kOff + 2]), k3 = FloatVector.broadcast(S, k[kOff + 3]);
        FloatVector k4 = FloatVector.broadcast(S, k[kOff + 4]), k5 = FloatVector.broadcast(S, k[kOff + 5]);
        FloatVector k6 = FloatVector.broadcast(S, k[kOff + 6]), k7 = FloatVector.broadcast(S, k[kOff + 7]);
        FloatVector k8 = FloatVector.broadcast(S, k[kOff + 8]);
        FloatVector b = FloatVector.broadcast(S, bias);
        int x = x0;
        for (; x + W <= x1; x += W) {
            FloatVector acc = FloatVector.fromArray(S, in, r0 + x).fma(k0, b);
            acc = FloatVector.fromArray(S, in, r0 + x + 1).fma(k1, acc);
            acc = FloatVector.fromArray(S, in, r0 + x + 2).fma(k2, acc);
            acc = FloatVector.fromArray(S, in, r1 + x).fma(k3, acc);
            acc = FloatVector.fromArray(S, in, r1 + x + 1).fma(k4, acc);
            acc = FloatVector.fromArray(S, in, r1 + x + 2).fma(k5, acc);
            acc = FloatVector.fromArray(S, in, r2 + x).fma(k6, acc);
            acc = FloatVector.fromArray(S, in, r2 + x + 1).fma(k7, acc);
            acc = FloatVector.fromArray(S, in, r2 + x + 2).fma(k8, acc);
            acc.intoArray(out, dst + x);
        }
        return x;
    }

    @Override
    public int pixel(float[] p, int[] bases, float[] wt, float[] bias, float[] acc, int c, int taps) {
        int ch = 0;
        // four vectors of channels at a time: one sum per vector waited on its own last multiply-add at every tap
        // (MobileNetV3-small's 576-channel 5x5 layer on a 5x6 map spent 70% of its 120 us here)
        for (; ch + 4 * W <= c; ch += 4 * W) {
            FloatVector a0, a1, a2, a3;
            if (bias == null) {
                a0 = FloatVector.zero(S);
                a1 = a0;
                a2 = a0;
                a3 = a0;
            } else {
                a0 = FloatVector.fromArray(S, bias, ch);
                a1 = FloatVector.fromArray(S, bias, ch + W);
                a2 = FloatVector.fromArray(S, bias, ch + 2 * W);
                a3 = FloatVector.fromArray(S, bias, ch + 3 * W);
            }
            for (int t = 0; t < taps; t++) {
                int pb = bases[t] + ch, wb = t * c + ch;
                a0 = FloatVector.fromArray(S, wt, wb).fma(FloatVector.fromArray(S, p, pb), a0);
                a1 = FloatVector.fromArray(S, wt, wb + W).fma(FloatVector.fromArray(S, p, pb + W), a1);
                a2 = FloatVector.fromArray(S, wt, wb + 2 * W).fma(FloatVector.fromArray(S, p, pb + 2 * W), a2);
                a3 = FloatVector.fromArray(S, wt, wb + 3 * W).fma(FloatVector.fromArray(S, p, pb + 3 * W), a3);
            }
            a0.intoArray(acc, ch);
            a1.intoArray(acc, ch + W);
            a2.intoArray(acc, ch + 2 * W);
            a3.intoArray(acc, ch + 3 * W);
        }
        for (; ch + W <= c; ch += W) {
            FloatVector a = bias == null ? FloatVector.zero(S) : FloatVector.fromArray(S, bias, ch);
            for (int t = 0; t < taps; t++) {
                a = FloatVector.fromArray(S, wt, t * c + ch).fma(FloatVector.fromArray(S, p, bases[t] + ch), a);
            }
            a.intoArray(acc, ch);
        }
        return ch;
    }

    /** Ints of half S's width: the even (or odd) floats of one S vector, narrowed out of its 64-bit pairs. */
    private static final VectorSpecies<Integer> HALF = S.vectorBitSize() >= 128
            ? VectorSpecies.of(int.class, VectorShape.forBitSize(S.vectorBitSize() / 2)) : null;
    /** Whether narrowing a float pair, read as a long, keeps the first float (little-endian lanes): checked once. */
    private static final boolean SPLITS = HALF != null && splitsAsDefined();

    private static boolean splitsAsDefined() {
        float[] in = new float[2 * W];
        for (int i = 0; i < in.length; i++) in[i] = i;
        float[] even = new float[W];
        float[] odd = new float[W];
        int n = split(in, 0, even, 0, odd, 0, W);
        for (int i = 0; i < n; i++) {
            if (even[i] != 2 * i || odd[i] != 2 * i + 1) {
                return false;
            }
        }
        return n > 0;
    }

    @Override
    public int deinterleave(float[] in, int off, float[] even, int evenOff, float[] odd, int oddOff, int n) {
        return SPLITS ? split(in, off, even, evenOff, odd, oddOff, n) : 0;
    }

    /**
     * Each vector of 2h floats read as h longs, each narrowed to its low int (the even float) and, shifted, to its
     * high one (the odd float): no lane shuffles, which boxed on Java 17.
     */
    private static int split(float[] in, int off, float[] even, int evenOff, float[] odd, int oddOff, int n) {
        int h = W / 2;
        int i = 0;
        for (; i + h <= n; i += h) {
            LongVector pairs = FloatVector.fromArray(S, in, off + 2 * i).reinterpretAsLongs();
            ((IntVector) pairs.convertShape(VectorOperators.L2I, HALF, 0)).reinterpretAsFloats()
                    .intoArray(even, evenOff + i);
            ((IntVector) pairs.lanewise(VectorOperators.LSHR, 32).convertShape(VectorOperators.L2I, HALF, 0))
                    .reinterpretAsFloats().intoArray(odd, oddOff + i);
        }
        return i;
    }

    @Override
    public int maxPairs(float[] x, int r0, int r1, float[] out, int o, int n) {
        if (!SPLITS) {
            return 0;
        }
        int h = W / 2;
        int i = 0;
        for (; i + h <= n; i += h) {
            LongVector pairs = FloatVector.fromArray(S, x, r0 + 2 * i).max(FloatVector.fromArray(S, x, r1 + 2 * i))
                    .reinterpretAsLongs();
            FloatVector even = ((IntVector) pairs.convertShape(VectorOperators.L2I, HALF, 0)).reinterpretAsFloats();
            FloatVector odd = ((IntVector) pairs.lanewise(VectorOperators.LSHR, 32).convertShape(VectorOperators.L2I,
                    HALF, 0)).reinterpretAsFloats();
            even.max(odd).intoArray(out, o + i);
        }
        return i;
    }

    @Override
    public int lanes() {
        return W;
    }

    @Override
    public int row(float[] p, int[] bases, float[] k, int kOff, int taps, float[] acc, int flat) {
        if (taps == 3) {
            return row3(p, bases[0], bases[1], bases[2], k, kOff, acc, flat);
        }
        if (taps == 5) {
            return row5(p, bases, k, kOff, acc, flat);
        }
        int q = 0;
        for (; q + W <= flat; q += W) {
            FloatVector a = FloatVector.fromArray(S, acc, q);
            for (int t = 0; t < taps; t++) {
                a = FloatVector.fromArray(S, p, bases[t] + q).fma(FloatVector.broadcast(S, k[kOff + t]), a);
            }
            a.intoArray(acc, q);
        }
        return q;
    }

    private static int row3(float[] p, int b0, int b1, int b2, float[] k, int kOff, float[] acc, int flat) {
        FloatVector k0 = FloatVector.broadcast(S, k[kOff]), k1 = FloatVector.broadcast(S, k[kOff + 1]);
        FloatVector k2 = FloatVector.broadcast(S, k[kOff + 2]);
        int q = 0;
        for (; q + W <= flat; q += W) {
            FloatVector a = FloatVector.fromArray(S, acc, q);
            a = FloatVector.fromArray(S, p, b0 + q).fma(k0, a);
            a = FloatVector.fromArray(S, p, b1 + q).fma(k1, a);
            a = FloatVector.fromArray(S, p, b2 + q).fma(k2, a);
            a.intoArray(acc, q);
        }
        return q;
    }

    private static int row5(float[] p, int[] bases, float[] k, int kOff, float[] acc, int flat) {
        int b0 = bases[0], b1 = bases[1], b2 = bases[2], b3 = bases[3], b4 = bases[4];
        FloatVector k0 = FloatVector.broadcast(S, k[kOff]), k1 = FloatVector.broadcast(S, k[kOff + 1]);
        FloatVector k2 = FloatVector.broadcast(S, k[kOff + 2]), k3 = FloatVector.broadcast(S, k[kOff + 3]);
        FloatVector k4 = FloatVector.broadcast(S, k[kOff + 4]);
        int q = 0;
        for (; q + W <= flat; q += W) {
            FloatVector a = FloatVector.fromArray(S, acc, q);
            a = FloatVector.fromArray(S, p, b0 + q).fma(k0, a);
            a = FloatVector.fromArray(S, p, b1 + q).fma(k1, a);
            a = FloatVector.fromArray(S, p, b2 + q).fma(k2, a);
            a = FloatVector.fromArray(S, p, b3 + q).fma(k3, a);
            a = FloatVector.fromArray(S, p, b4 + q).fma(k4, a);
            a.intoArray(acc, q);
        }
        return q;
    }
}
