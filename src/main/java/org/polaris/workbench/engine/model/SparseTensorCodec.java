package org.polaris.workbench.engine.model;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import org.polaris.workbench.engine.model.ModelLoadException.Problem;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Locale;

/**
 * ONNX {@code SparseTensorProto} in both directions. A stored element is one whose bytes are not all zero (so -0.0
 * stays, and decoding gives back the exact bytes). Indices use the narrowest layout ONNX Runtime accepts: linearized
 * {@code [NNZ]} or coordinates {@code [NNZ, rank]}, as int8/int16/int32/int64, whichever takes fewest bytes.
 */
public final class SparseTensorCodec {

    /** How a tensor's non-zeros would be stored. {@code bytes} counts values plus indices. */
    public record Encoding(boolean linear, DataType indexType, long nonZeros, long bytes) {
        @Override
        public String toString() {
            return (linear ? "linear " : "coords ") + indexType.toString().toLowerCase(Locale.ROOT);
        }
    }

    private SparseTensorCodec() {
    }

    /** Whether a tensor of this type can be stored sparse (fixed-size elements of at least one byte). */
    public static boolean supports(DataType type) {
        return type.bits() >= 8 && type.bits() % 8 == 0 && type != DataType.STRING;
    }

    /** The cheapest index layout for a tensor of {@code dims} holding {@code nonZeros} stored elements. */
    public static Encoding choose(DataType type, long[] dims, long nonZeros) {
        long count = Tensor.elementCount(dims);
        long maxDim = 1;
        for (long d : dims) maxDim = Math.max(maxDim, d);
        int rank = Math.max(1, dims.length);
        Encoding best = new Encoding(true, DataType.INT64, nonZeros, nonZeros * (type.bits() / 8 + 8L));
        best = cheaper(best, type, true, indexType(count), 1, nonZeros);
        if (dims.length > 1) {
            best = cheaper(best, type, false, indexType(maxDim), rank, nonZeros);
        }
        return best;
    }

    private static Encoding cheaper(Encoding best, DataType type, boolean linear, DataType idx, int perValue, long nnz) {
        long bytes = nnz * (type.bits() / 8 + (long) perValue * (idx.bits() / 8));
        return bytes < best.bytes() ? new Encoding(linear, idx, nnz, bytes) : best;
    }

    /** The narrowest signed type that holds every index below {@code bound}. */
    private static DataType indexType(long bound) {
        if (bound - 1 <= Byte.MAX_VALUE) return DataType.INT8;
        if (bound - 1 <= Short.MAX_VALUE) return DataType.INT16;
        if (bound - 1 <= Integer.MAX_VALUE) return DataType.INT32;
        return DataType.INT64;
    }

    /** Number of stored (not all-zero) elements. */
    public static long nonZeros(Tensor t) {
        int width = t.dataType().bits() / 8;
        byte[] raw = t.raw();
        long nnz = 0;
        for (int at = 0; at < raw.length; at += width) {
            if (!zero(raw, at, width)) nnz++;
        }
        return nnz;
    }

    /** The encoding {@link #encode} would use, or null when the tensor is stored smaller dense. */
    public static Encoding encodingFor(Tensor t) {
        if (!supports(t.dataType()) || t.rank() == 0) {
            return null;
        }
        Encoding e = choose(t.dataType(), t.dims(), nonZeros(t));
        return e.bytes() < t.raw().length ? e : null;
    }

    /** The sparse form of {@code t}, or null when it would not be smaller than the dense one. */
    static OnnxMl.SparseTensorProto encode(Tensor t) {
        Encoding e = encodingFor(t);
        if (e == null) {
            return null;
        }
        int width = t.dataType().bits() / 8;
        int nnz = Math.toIntExact(e.nonZeros());
        long[] dims = t.dims();
        int perValue = e.linear() ? 1 : dims.length;
        ByteBuffer values = ByteBuffer.allocate(nnz * width);
        ByteBuffer idx = ByteBuffer.allocate(nnz * perValue * (e.indexType().bits() / 8)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] raw = t.raw();
        long[] coord = new long[dims.length];
        for (int at = 0, i = 0; at < raw.length; at += width, i++) {
            if (!zero(raw, at, width)) {
                values.put(raw, at, width);
                if (e.linear()) {
                    putIndex(idx, e.indexType(), i);
                } else {
                    long rest = i;
                    for (int d = dims.length - 1; d >= 0; d--) {
                        coord[d] = rest % dims[d];
                        rest /= dims[d];
                    }
                    for (long c : coord) putIndex(idx, e.indexType(), c);
                }
            }
        }
        OnnxMl.TensorProto.Builder v = OnnxMl.TensorProto.newBuilder().setName(t.name())
                .setDataType(t.dataType().code()).addDims(nnz).setRawData(ByteString.copyFrom(values.array()));
        if (!t.docString().isEmpty()) {
            v.setDocString(t.docString());
        }
        OnnxMl.TensorProto.Builder ix = OnnxMl.TensorProto.newBuilder().setDataType(e.indexType().code()).addDims(nnz);
        if (!e.linear()) {
            ix.addDims(perValue);
        }
        ix.setRawData(ByteString.copyFrom(idx.array()));
        OnnxMl.SparseTensorProto.Builder s = OnnxMl.SparseTensorProto.newBuilder().setValues(v).setIndices(ix);
        for (long d : dims) s.addDims(d);
        return s.build();
    }

    private static void putIndex(ByteBuffer b, DataType type, long v) {
        switch (type) {
            case INT8 -> b.put((byte) v);
            case INT16 -> b.putShort((short) v);
            case INT32 -> b.putInt((int) v);
            default -> b.putLong(v);
        }
    }

    private static boolean zero(byte[] raw, int at, int width) {
        for (int k = 0; k < width; k++) {
            if (raw[at + k] != 0) return false;
        }
        return true;
    }

    /**
     * The dense tensor a sparse initializer stands for. Everything is checked before it is used: the dense size
     * against the tensor limit and {@code budget} (what densifying may still allocate), value and index shapes
     * against each other, and every index against the dense shape.
     */
    static Tensor decode(OnnxMl.SparseTensorProto s, TensorConverter tensors, ExternalDataResolver external, Path file,
                         OnnxModelReader.Limits limits, long budget) throws ModelLoadException {
        Tensor values = tensors.convert(s.getValues(), external);
        String name = values.name();
        if (!supports(values.dataType())) {
            throw invalid(file, name, "has sparse values of type " + values.dataType() + ", which cannot be densified");
        }
        if (s.getDimsCount() > limits.maxRank()) {
            throw new ModelLoadException(file, Problem.LIMIT_EXCEEDED, "sparse tensor '" + name + "' has rank "
                    + s.getDimsCount() + " (limit " + limits.maxRank() + ")");
        }
        long[] dims = s.getDimsList().stream().mapToLong(Long::longValue).toArray();
        long count = 1;
        for (long d : dims) {
            if (d < 0) {
                throw invalid(file, name, "has negative dimension " + d);
            }
            if (d != 0 && count > Long.MAX_VALUE / d) {
                throw new ModelLoadException(file, Problem.LIMIT_EXCEEDED, "sparse tensor '" + name + "' element count overflows");
            }
            count *= d;
        }
        int width = values.dataType().bits() / 8;
        if (count > Math.min(limits.maxTensorBytes(), budget) / width) {
            throw new ModelLoadException(file, Problem.LIMIT_EXCEEDED, "sparse tensor '" + name + "' densifies to "
                    + count + " elements, over the " + Math.min(limits.maxTensorBytes(), budget) + "-byte limit");
        }
        if (values.rank() != 1) {
            throw invalid(file, name, "sparse values must be 1-D [NNZ], got " + values.shapeString());
        }
        long nnz = values.elementCount();
        if (nnz > count) {
            throw invalid(file, name, "holds " + nnz + " sparse values for " + count + " elements");
        }
        Tensor idx = tensors.convert(s.getIndices(), external);
        long[] id = idx.dims();
        boolean linear = id.length == 1;
        if (!(linear && id[0] == nnz) && !(id.length == 2 && id[0] == nnz && id[1] == dims.length)) {
            throw invalid(file, name, "sparse indices must be [" + nnz + "] or [" + nnz + ", " + dims.length + "], got "
                    + idx.shapeString());
        }
        if (nnz > 0 && (dims.length == 0 && !linear)) {
            throw invalid(file, name, "scalar sparse tensor with coordinate indices");
        }
        ByteBuffer ib = ByteBuffer.wrap(idx.raw()).order(ByteOrder.LITTLE_ENDIAN);
        byte[] dense = new byte[Math.toIntExact(count * width)];
        byte[] vr = values.raw();
        for (int i = 0; i < nnz; i++) {
            long pos;
            if (linear) {
                pos = readIndex(ib, idx.dataType(), file, name);
            } else {
                pos = 0;
                for (int d = 0; d < dims.length; d++) {
                    long c = readIndex(ib, idx.dataType(), file, name);
                    if (c < 0 || c >= dims[d]) {
                        throw invalid(file, name, "sparse coordinate " + c + " on axis " + d + " is outside [0, " + dims[d] + ")");
                    }
                    pos = pos * dims[d] + c;
                }
            }
            if (pos < 0 || pos >= count) {
                throw invalid(file, name, "sparse index " + pos + " is outside [0, " + count + ")");
            }
            System.arraycopy(vr, i * width, dense, (int) pos * width, width);
        }
        return new Tensor(name, values.dataType(), dims, dense, java.util.List.of(), null, values.docString());
    }

    private static long readIndex(ByteBuffer b, DataType type, Path file, String name) throws ModelLoadException {
        return switch (type) {
            case INT8 -> b.get();
            case INT16 -> b.getShort();
            case INT32 -> b.getInt();
            case INT64 -> b.getLong();
            default -> throw invalid(file, name, "sparse indices must be int8, int16, int32 or int64, got " + type);
        };
    }

    private static ModelLoadException invalid(Path file, String name, String what) {
        return new ModelLoadException(file, Problem.INVALID, "tensor '" + name + "' " + what);
    }
}
