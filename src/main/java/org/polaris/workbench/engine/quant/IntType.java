package org.polaris.workbench.engine.quant;

import org.polaris.workbench.engine.model.DataType;

/** Integer code types used by quantization, with their saturation bounds. */
public enum IntType {
    INT8(-128, 127, DataType.INT8),
    UINT8(0, 255, DataType.UINT8),
    INT4(-8, 7, DataType.INT4),
    UINT4(0, 15, DataType.UINT4),
    INT32(Integer.MIN_VALUE, Integer.MAX_VALUE, DataType.INT32);

    private final int min;
    private final int max;
    private final DataType dataType;

    IntType(int min, int max, DataType dataType) {
        this.min = min;
        this.max = max;
        this.dataType = dataType;
    }

    public int min() {
        return min;
    }

    public int max() {
        return max;
    }

    public DataType dataType() {
        return dataType;
    }

    public boolean signed() {
        return min < 0;
    }

    public int bits() {
        return dataType.bits();
    }

    /** Clamps instead of wrapping: a code outside the type's range saturates at its bound. */
    public int saturate(long code) {
        return (int) Math.max(min, Math.min(max, code));
    }
}
