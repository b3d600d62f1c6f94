package org.polaris.workbench.engine.serve;

import org.polaris.workbench.engine.model.DataType;

import java.util.Locale;

/** The Open Inference Protocol's tensor datatypes and the ONNX element types they carry. */
public enum KsDatatype {
    BOOL(DataType.BOOL), UINT8(DataType.UINT8), UINT16(DataType.UINT16), UINT32(DataType.UINT32),
    UINT64(DataType.UINT64), INT8(DataType.INT8), INT16(DataType.INT16), INT32(DataType.INT32), INT64(DataType.INT64),
    FP16(DataType.FLOAT16), BF16(DataType.BFLOAT16), FP32(DataType.FLOAT), FP64(DataType.DOUBLE), BYTES(DataType.STRING);

    private final DataType onnx;

    KsDatatype(DataType onnx) {
        this.onnx = onnx;
    }

    public DataType onnx() {
        return onnx;
    }

    /** Bytes per element in the binary-data extension; BYTES elements are length-prefixed instead (0 here). */
    public int elementBytes() {
        return this == BYTES ? 0 : onnx.bits() / 8;
    }

    public static KsDatatype of(DataType t) {
        for (KsDatatype d : values()) {
            if (d.onnx == t) return d;
        }
        throw new IllegalArgumentException("element type " + t.displayName() + " has no Open Inference Protocol datatype");
    }

    /** The protocol's name ({@code FP32}); null when {@code s} names none. */
    public static KsDatatype parse(String s) {
        if (s == null) return null;
        try {
            return valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
