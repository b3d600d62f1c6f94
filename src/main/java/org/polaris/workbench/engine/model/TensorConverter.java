package org.polaris.workbench.engine.model;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import org.polaris.workbench.engine.model.ModelLoadException.Problem;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;

/** Converts {@code TensorProto} to {@link Tensor} in both directions, validating declared sizes on the way in. */
final class TensorConverter {

    private final Path file;
    private final OnnxModelReader.Limits limits;

    TensorConverter(Path file, OnnxModelReader.Limits limits) {
        this.file = file;
        this.limits = limits;
    }

    Tensor convert(OnnxMl.TensorProto t, ExternalDataResolver external) throws ModelLoadException {
        String name = t.getName();
        DataType type = DataType.fromCode(t.getDataType());
        if (type == null || type == DataType.UNDEFINED) {
            throw invalid(name, "has unknown data_type " + t.getDataType());
        }
        if (t.getDimsCount() > limits.maxRank()) {
            throw new ModelLoadException(file, Problem.LIMIT_EXCEEDED,
                    "tensor '" + name + "' has rank " + t.getDimsCount() + " (limit " + limits.maxRank() + ")");
        }
        if (t.hasSegment()) {
            throw invalid(name, "is a segmented tensor, which is not supported");
        }
        long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
        long count = checkedCount(name, dims);
        if (type == DataType.STRING) {
            if (t.getStringDataCount() != count) {
                throw invalid(name, "declares " + count + " strings but holds " + t.getStringDataCount());
            }
            return new Tensor(name, type, dims, new byte[0],
                    t.getStringDataList().stream().map(ByteString::toByteArray).toList(), null, t.getDocString());
        }
        long bytes = storageBytes(name, type, count);
        if (t.getDataLocation() == OnnxMl.TensorProto.DataLocation.EXTERNAL) {
            byte[] raw = external.read(name, t.getExternalDataList(), bytes);
            return new Tensor(name, type, dims, raw, List.of(), external.locationOf(t.getExternalDataList()),
                    t.getDocString());
        }
        return new Tensor(name, type, dims, inlineData(t, name, type, count, bytes), List.of(), null, t.getDocString());
    }

    private long checkedCount(String name, long[] dims) throws ModelLoadException {
        long count = 1;
        for (long d : dims) {
            if (d < 0) {
                throw invalid(name, "has negative dimension " + d);
            }
            try {
                count = Math.multiplyExact(count, d);
            } catch (ArithmeticException e) {
                throw new ModelLoadException(file, Problem.LIMIT_EXCEEDED, "tensor '" + name + "' element count overflows");
            }
        }
        return count;
    }

    private long storageBytes(String name, DataType type, long count) throws ModelLoadException {
        long bytes;
        try {
            bytes = type.storageBytes(count);
        } catch (ArithmeticException e) {
            bytes = Long.MAX_VALUE;
        }
        if (bytes > limits.maxTensorBytes()) {
            throw new ModelLoadException(file, Problem.LIMIT_EXCEEDED,
                    "tensor '" + name + "' declares " + count + " elements (" + bytes + " bytes), over the limit of "
                            + limits.maxTensorBytes() + " bytes");
        }
        return bytes;
    }

    private byte[] inlineData(OnnxMl.TensorProto t, String name, DataType type, long count, long bytes)
            throws ModelLoadException {
        if (t.hasRawData()) {
            if (t.getRawData().size() != bytes) {
                throw invalid(name, "raw_data has " + t.getRawData().size() + " bytes but " + type + " " + shape(t)
                        + " needs " + bytes);
            }
            return ByteStrings.take(t.getRawData());
        }
        int n = (int) count;
        // what the file holds is checked before anything the size of what it declares is allocated
        expect(name, present(t, type), switch (type) {
            case COMPLEX64, COMPLEX128 -> 2 * count;
            case INT4, UINT4, FLOAT4E2M1 -> (count + 1) / 2;
            default -> count;
        });
        ByteBuffer out = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case FLOAT -> { expect(name, t.getFloatDataCount(), count); t.getFloatDataList().forEach(out::putFloat); }
            case COMPLEX64 -> { expect(name, t.getFloatDataCount(), 2 * count); t.getFloatDataList().forEach(out::putFloat); }
            case DOUBLE -> { expect(name, t.getDoubleDataCount(), count); t.getDoubleDataList().forEach(out::putDouble); }
            case COMPLEX128 -> { expect(name, t.getDoubleDataCount(), 2 * count); t.getDoubleDataList().forEach(out::putDouble); }
            case INT64 -> { expect(name, t.getInt64DataCount(), count); t.getInt64DataList().forEach(out::putLong); }
            case UINT64 -> { expect(name, t.getUint64DataCount(), count); t.getUint64DataList().forEach(out::putLong); }
            case UINT32 -> {
                expect(name, t.getUint64DataCount(), count);
                t.getUint64DataList().forEach(v -> out.putInt((int) (long) v));
            }
            case INT32 -> { expect(name, t.getInt32DataCount(), count); t.getInt32DataList().forEach(out::putInt); }
            case INT16, UINT16, FLOAT16, BFLOAT16 -> {
                expect(name, t.getInt32DataCount(), count);
                t.getInt32DataList().forEach(v -> out.putShort((short) (int) v));
            }
            case INT8, UINT8, BOOL, FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ -> {
                expect(name, t.getInt32DataCount(), count);
                t.getInt32DataList().forEach(v -> out.put((byte) (int) v));
            }
            case INT4, UINT4, FLOAT4E2M1 -> {
                // Four-bit types keep two elements per int32_data entry, low nibble first.
                expect(name, t.getInt32DataCount(), (count + 1) / 2);
                t.getInt32DataList().forEach(v -> out.put((byte) (int) v));
            }
            default -> throw invalid(name, "has unsupported data_type " + type);
        }
        if (n > 0 && out.position() != bytes) {
            throw invalid(name, "holds " + out.position() + " data bytes, expected " + bytes);
        }
        return out.array();
    }

    private static int present(OnnxMl.TensorProto t, DataType type) {
        return switch (type) {
            case FLOAT, COMPLEX64 -> t.getFloatDataCount();
            case DOUBLE, COMPLEX128 -> t.getDoubleDataCount();
            case INT64 -> t.getInt64DataCount();
            case UINT64, UINT32 -> t.getUint64DataCount();
            default -> t.getInt32DataCount();
        };
    }

    private void expect(String name, int actual, long expected) throws ModelLoadException {
        if (actual != expected) {
            throw invalid(name, "declares " + expected + " values but holds " + actual
                    + (actual == 0 ? " (no data)" : ""));
        }
    }

    private static String shape(OnnxMl.TensorProto t) {
        return t.getDimsList().toString();
    }

    private ModelLoadException invalid(String name, String what) {
        return new ModelLoadException(file, Problem.INVALID, "tensor '" + name + "' " + what);
    }

    /** Writes a tensor in the canonical form: {@code raw_data} for fixed-size types, {@code string_data} otherwise. */
    static OnnxMl.TensorProto toProto(Tensor t) {
        OnnxMl.TensorProto.Builder b = OnnxMl.TensorProto.newBuilder()
                .setName(t.name())
                .setDataType(t.dataType().code());
        for (long d : t.dims()) {
            b.addDims(d);
        }
        if (!t.docString().isEmpty()) {
            b.setDocString(t.docString());
        }
        if (t.dataType() == DataType.STRING) {
            t.strings().forEach(s -> b.addStringData(ByteString.copyFrom(s)));
        } else {
            // tensors are immutable: the proto can share the bytes instead of copying a whole model's weights
            b.setRawData(com.google.protobuf.UnsafeByteOperations.unsafeWrap(t.raw()));
        }
        return b.build();
    }
}
