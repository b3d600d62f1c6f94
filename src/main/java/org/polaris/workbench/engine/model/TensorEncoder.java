package org.polaris.workbench.engine.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Builds tensors of any numeric element type from doubles: the inverse of {@link TensorDecoder}. */
public final class TensorEncoder {

    private TensorEncoder() {
    }

    /** The element types tensors can be built in here (model inputs use these). */
    public static boolean supports(DataType t) {
        return switch (t) {
            case FLOAT, DOUBLE, FLOAT16, BFLOAT16, INT64, INT32, INT16, INT8, UINT8, UINT16, UINT32, UINT64, BOOL -> true;
            default -> false;
        };
    }

    /** Values converted to {@code type}: rounded to nearest for integer types, saturated at the type's range. */
    public static Tensor encode(String name, DataType type, long[] dims, double[] values) {
        if (!supports(type)) {
            throw new IllegalArgumentException("cannot build a " + type + " tensor");
        }
        int bytes = type.bits() / 8;
        ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(values.length, bytes)).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) {
            switch (type) {
                case FLOAT -> b.putFloat((float) v);
                case DOUBLE -> b.putDouble(v);
                case FLOAT16 -> b.putShort(toHalf((float) v));
                case BFLOAT16 -> b.putShort(toBfloat16((float) v));
                case INT64, UINT64 -> b.putLong(Double.isNaN(v) ? 0 : Math.round(v));
                case INT32 -> b.putInt((int) clamp(v, Integer.MIN_VALUE, Integer.MAX_VALUE));
                case UINT32 -> b.putInt((int) (long) clamp(v, 0, 4294967295.0));
                case INT16 -> b.putShort((short) clamp(v, Short.MIN_VALUE, Short.MAX_VALUE));
                case UINT16 -> b.putShort((short) clamp(v, 0, 65535));
                case INT8 -> b.put((byte) clamp(v, -128, 127));
                case UINT8 -> b.put((byte) clamp(v, 0, 255));
                case BOOL -> b.put((byte) (v != 0 && !Double.isNaN(v) ? 1 : 0));
                default -> throw new IllegalStateException();
            }
        }
        return new Tensor(name, type, dims, b.array(), java.util.List.of(), null, "");
    }

    /** A numeric tensor converted to another element type (the same tensor when it already has it). */
    public static Tensor cast(Tensor t, DataType type) {
        if (t.dataType() == type) {
            return t;
        }
        return encode(t.name(), type, t.dims(), t.toDoubles());
    }

    private static double clamp(double v, double lo, double hi) {
        return Double.isNaN(v) ? 0 : Math.max(lo, Math.min(hi, Math.rint(v)));
    }

    /** bfloat16: the upper 16 bits of the float, rounded to nearest even (NaN stays NaN). */
    public static short toBfloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }

    /** IEEE 754 binary16, round to nearest even, overflow to infinity, subnormals kept. */
    public static short toHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = ((bits >>> 23) & 0xff) - 127 + 15;
        int mant = bits & 0x7fffff;
        if (((bits >>> 23) & 0xff) == 0xff) {
            return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 : 0));
        }
        if (exp >= 31) {
            return (short) (sign | 0x7c00);
        }
        if (exp <= 0) {
            if (exp < -10) {
                return (short) sign;
            }
            mant |= 0x800000;
            int shift = 14 - exp;
            int half = mant >> shift;
            int rem = mant & ((1 << shift) - 1);
            int mid = 1 << (shift - 1);
            if (rem > mid || (rem == mid && (half & 1) == 1)) {
                half++;
            }
            return (short) (sign | half);
        }
        int half = (exp << 10) | (mant >> 13);
        int rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (half & 1) == 1)) {
            half++;
        }
        return (short) (sign | half);
    }
}
