package org.polaris.workbench.engine.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Turns packed little-endian ONNX element bytes into doubles for statistics and display. */
final class TensorDecoder {

    private TensorDecoder() {
    }

    static double[] toDoubles(DataType type, byte[] raw, int count) {
        double[] out = new double[count];
        decode(type, raw, 0, count, out);
        return out;
    }

    /** Decodes elements {@code [from, from + count)} into {@code out[0..count)}, so callers can stream in chunks. */
    static void decode(DataType type, byte[] raw, int from, int count, double[] out) {
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case FLOAT -> { for (int k = 0, i = from; k < count; k++, i++) out[k] = b.getFloat(4 * i); }
            case DOUBLE -> { for (int k = 0, i = from; k < count; k++, i++) out[k] = b.getDouble(8 * i); }
            case FLOAT16 -> { for (int k = 0, i = from; k < count; k++, i++) out[k] = halfToFloat(b.getShort(2 * i)); }
            case BFLOAT16 -> { for (int k = 0, i = from; k < count; k++, i++) out[k] = Float.intBitsToFloat((b.getShort(2 * i) & 0xffff) << 16); }
            case INT8 -> { for (int k = 0, i = from; k < count; k++, i++) out[k] = raw[i]; }
            case UINT8, BOOL -> { for (int k = 0, i = from; k < count; k++, i++) out[k] = raw[i] & 0xff; }
            case INT16 -> { for (int k = 0, i = from; k < count; k++, i++) out[k] = b.getShort(2 * i); }
            case UINT16 -> { for (int k = 0, i = from; k < count; k++, i++) out[k] = b.getShort(2 * i) & 0xffff; }
            case INT32 -> { for (int k = 0, i = from; k < count; k++, i++) out[k] = b.getInt(4 * i); }
            case UINT32 -> { for (int k = 0, i = from; k < count; k++, i++) out[k] = b.getInt(4 * i) & 0xffffffffL; }
            case INT64 -> { for (int k = 0, i = from; k < count; k++, i++) out[k] = b.getLong(8 * i); }
            case UINT64 -> { for (int k = 0, i = from; k < count; k++, i++) out[k] = unsigned(b.getLong(8 * i)); }
            case INT4 -> { for (int k = 0, i = from; k < count; k++, i++) out[k] = (nibble(raw, i) << 28) >> 28; }
            case UINT4 -> { for (int k = 0, i = from; k < count; k++, i++) out[k] = nibble(raw, i); }
            case FLOAT8E4M3FN, FLOAT8E4M3FNUZ -> { for (int k = 0, i = from; k < count; k++, i++) out[k] = e4m3(raw[i], type == DataType.FLOAT8E4M3FNUZ); }
            case FLOAT8E5M2, FLOAT8E5M2FNUZ -> { for (int k = 0, i = from; k < count; k++, i++) out[k] = e5m2(raw[i], type == DataType.FLOAT8E5M2FNUZ); }
            case FLOAT4E2M1 -> { for (int k = 0, i = from; k < count; k++, i++) out[k] = e2m1(nibble(raw, i)); }
            default -> throw new IllegalArgumentException("no numeric view of " + type);
        }
    }

    private static int nibble(byte[] raw, int i) {
        int v = raw[i >>> 1] & 0xff;
        return (i & 1) == 0 ? v & 0x0f : v >>> 4;
    }

    private static double unsigned(long v) {
        return v >= 0 ? v : (double) (v >>> 1) * 2.0 + (v & 1);
    }

    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits >>> 15) != 0 ? -1 : 1;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0) {
            return sign * mant * 0x1p-24f;
        }
        if (exp == 31) {
            return mant == 0 ? sign * Float.POSITIVE_INFINITY : Float.NaN;
        }
        return sign * (1 + mant / 1024f) * (float) Math.pow(2, exp - 15);
    }

    private static double e4m3(byte v, boolean fnuz) {
        int bits = v & 0xff;
        if (fnuz && bits == 0x80) {
            return Double.NaN;
        }
        if (!fnuz && (bits & 0x7f) == 0x7f) {
            return Double.NaN;
        }
        return minifloat(bits, 3, fnuz ? 8 : 7);
    }

    private static double e5m2(byte v, boolean fnuz) {
        int bits = v & 0xff;
        if (fnuz) {
            return bits == 0x80 ? Double.NaN : minifloat(bits, 2, 16);
        }
        int exp = (bits >>> 2) & 0x1f;
        if (exp == 31) {
            return (bits & 3) == 0 ? ((bits & 0x80) != 0 ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY) : Double.NaN;
        }
        return minifloat(bits, 2, 15);
    }

    private static double e2m1(int bits) {
        int sign = (bits & 0x8) != 0 ? -1 : 1;
        int exp = (bits >>> 1) & 3;
        int mant = bits & 1;
        return exp == 0 ? sign * mant * 0.5 : sign * (1 + mant / 2.0) * Math.pow(2, exp - 1);
    }

    /** Decodes an 8-bit sign/exponent/mantissa value (sign in bit 7) with the given mantissa width and bias. */
    private static double minifloat(int bits, int mantBits, int bias) {
        int sign = (bits & 0x80) != 0 ? -1 : 1;
        int expBits = 7 - mantBits;
        int exp = (bits >>> mantBits) & ((1 << expBits) - 1);
        int mant = bits & ((1 << mantBits) - 1);
        if (exp == 0) {
            return sign * (mant / (double) (1 << mantBits)) * Math.pow(2, 1 - bias);
        }
        return sign * (1 + mant / (double) (1 << mantBits)) * Math.pow(2, exp - bias);
    }
}
