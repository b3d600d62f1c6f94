package org.polaris.workbench.engine.exec;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD loops of the int8 path ({@link QLinearKernels.Lanes}): quantization and requantization (the same float
 * arithmetic and round-half-even-from-the-bits as the scalar loop, the ints narrowed to bytes in registers), codes to
 * floats, and the range of a code array. Each returns where it stopped; the scalar loop finishes. Loaded like
 * {@link VectorGemm}.
 */
final class VectorQuant implements QLinearKernels.Lanes {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    /** As many bytes as F has lanes. */
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.vectorBitSize() / 4));
    private static final VectorSpecies<Byte> WIDE = ByteVector.SPECIES_PREFERRED;
    private static final int W = F.length();

    @Override
    public int requantize(float[] acc, int from, int to, float bias, float scale, float lo, float hi, int z, byte[] out) {
        if (I.length() != W || B.length() != W) {
            return from;
        }
        int i = from;
        for (; i + W <= to; i += W) {
            FloatVector v = FloatVector.fromArray(F, acc, i).add(bias).mul(scale).max(lo).min(hi).add(12582912f);
            IntVector q = v.reinterpretAsInts().sub(0x4B400000 - z);
            ((ByteVector) q.convertShape(VectorOperators.I2B, B, 0)).intoArray(out, i);
        }
        return i;
    }

    @Override
    public int quantize(float[] x, int n, float scale, float lo, float hi, int z, byte[] out) {
        if (I.length() != W || B.length() != W) {
            return 0;
        }
        FloatVector nanSteps = FloatVector.broadcast(F, -z);
        int i = 0;
        for (; i + W <= n; i += W) {
            FloatVector v = FloatVector.fromArray(F, x, i).div(scale);
            v = v.blend(nanSteps, v.compare(VectorOperators.NE, v)).max(lo).min(hi).add(12582912f);
            IntVector q = v.reinterpretAsInts().sub(0x4B400000 - z);
            ((ByteVector) q.convertShape(VectorOperators.I2B, B, 0)).intoArray(out, i);
        }
        return i;
    }

    @Override
    public int codesToFloats(byte[] codes, int n, boolean unsigned, int z, float[] out) {
        if (I.length() != W || B.length() != W) {
            return 0;
        }
        int i = 0;
        for (; i + W <= n; i += W) {
            IntVector iv = (IntVector) ByteVector.fromArray(B, codes, i).convertShape(VectorOperators.B2I, I, 0);
            if (unsigned) {
                iv = iv.and(0xff);
            }
            ((FloatVector) iv.sub(z).convertShape(VectorOperators.I2F, F, 0)).intoArray(out, i);
        }
        return i;
    }

    @Override
    public int range(byte[] codes, int n, boolean unsigned, int[] loHi) {
        // unsigned codes compare as signed after flipping the top bit
        byte flip = unsigned ? (byte) 0x80 : 0;
        ByteVector lo = ByteVector.broadcast(WIDE, Byte.MAX_VALUE);
        ByteVector hi = ByteVector.broadcast(WIDE, Byte.MIN_VALUE);
        int i = 0;
        for (; i + WIDE.length() <= n; i += WIDE.length()) {
            ByteVector v = ByteVector.fromArray(WIDE, codes, i).lanewise(VectorOperators.XOR, flip);
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if (i > 0) {
            int l = (byte) (lo.reduceLanes(VectorOperators.MIN) ^ flip);
            int h = (byte) (hi.reduceLanes(VectorOperators.MAX) ^ flip);
            loHi[0] = Math.min(loHi[0], unsigned ? l & 0xff : l);
            loHi[1] = Math.max(loHi[1], unsigned ? h & 0xff : h);
        }
        return i;
    }
}
