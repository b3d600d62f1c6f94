package org.polaris.workbench.engine.model;

/** ONNX tensor element types, numbered as in {@code onnx.TensorProto.DataType}. */
public enum DataType {
    UNDEFINED(0, 0, "undefined"),
    FLOAT(1, 32, "float32"),
    UINT8(2, 8, "uint8"),
    INT8(3, 8, "int8"),
    UINT16(4, 16, "uint16"),
    INT16(5, 16, "int16"),
    INT32(6, 32, "int32"),
    INT64(7, 64, "int64"),
    STRING(8, 0, "string"),
    BOOL(9, 8, "bool"),
    FLOAT16(10, 16, "float16"),
    DOUBLE(11, 64, "float64"),
    UINT32(12, 32, "uint32"),
    UINT64(13, 64, "uint64"),
    COMPLEX64(14, 64, "complex64"),
    COMPLEX128(15, 128, "complex128"),
    BFLOAT16(16, 16, "bfloat16"),
    FLOAT8E4M3FN(17, 8, "float8e4m3fn"),
    FLOAT8E4M3FNUZ(18, 8, "float8e4m3fnuz"),
    FLOAT8E5M2(19, 8, "float8e5m2"),
    FLOAT8E5M2FNUZ(20, 8, "float8e5m2fnuz"),
    UINT4(21, 4, "uint4"),
    INT4(22, 4, "int4"),
    FLOAT4E2M1(23, 4, "float4e2m1");

    private static final DataType[] BY_CODE = new DataType[24];

    static {
        for (DataType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final int code;
    private final int bits;
    private final String displayName;

    DataType(int code, int bits, String displayName) {
        this.code = code;
        this.bits = bits;
        this.displayName = displayName;
    }

    /** Returns the type for an ONNX code, or {@code null} when the code is not a known element type. */
    public static DataType fromCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }

    public int code() {
        return code;
    }

    /** Bits one element occupies in {@code raw_data}; 0 for variable-size (string) and undefined types. */
    public int bits() {
        return bits;
    }

    public boolean isFixedSize() {
        return bits > 0;
    }

    /** Bytes needed to store {@code count} elements packed as in ONNX {@code raw_data} (4-bit types pack two a byte). */
    public long storageBytes(long count) {
        return bits >= 8 ? Math.multiplyExact(count, (long) (bits / 8)) : (count * bits + 7) / 8;
    }

    /** Whether the statistics can treat elements as real numbers. */
    public boolean isNumeric() {
        return switch (this) {
            case UNDEFINED, STRING, COMPLEX64, COMPLEX128 -> false;
            default -> true;
        };
    }

    public String displayName() {
        return displayName;
    }

    @Override
    public String toString() {
        return displayName;
    }
}
