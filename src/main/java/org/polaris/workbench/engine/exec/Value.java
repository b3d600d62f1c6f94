package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * A tensor while the engine runs: a shape and one flat array. float32 in {@code f}, int64 in {@code l}, int32 in
 * {@code i}, 8-bit types and bool in {@code b}.
 */
public final class Value {

    final DataType type;
    final int[] shape;
    final float[] f;
    final long[] l;
    final int[] i;
    final byte[] b;

    private Value(DataType type, int[] shape, float[] f, long[] l, int[] i, byte[] b) {
        this.type = type;
        this.shape = shape;
        this.f = f;
        this.l = l;
        this.i = i;
        this.b = b;
    }

    static Value floats(int[] shape, float[] data) {
        return new Value(DataType.FLOAT, shape, data, null, null, null);
    }

    static Value longs(int[] shape, long[] data) {
        return new Value(DataType.INT64, shape, null, data, null, null);
    }

    static Value ints(int[] shape, int[] data) {
        return new Value(DataType.INT32, shape, null, null, data, null);
    }

    static Value bytes(DataType type, int[] shape, byte[] data) {
        return new Value(type, shape, null, null, null, data);
    }

    /**
     * A value of {@code type} holding {@code v} (rounded toward zero and wrapped for integers, nonzero is true for
     * bool); float16, bfloat16 and double are computed and stored as float32.
     */
    static Value ofDoubles(DataType type, int[] shape, double[] v) {
        int n = v.length;
        return switch (type) {
            case INT64, UINT32, UINT64 -> {
                long[] o = new long[n];
                for (int k = 0; k < n; k++) o[k] = (long) v[k];
                yield longs(shape, o);
            }
            case INT32, INT16, UINT16 -> {
                int[] o = new int[n];
                for (int k = 0; k < n; k++) o[k] = (int) (long) v[k];
                yield ints(shape, o);
            }
            case INT8, UINT8 -> {
                byte[] o = new byte[n];
                for (int k = 0; k < n; k++) o[k] = (byte) (long) v[k];
                yield bytes(type, shape, o);
            }
            case BOOL -> {
                byte[] o = new byte[n];
                for (int k = 0; k < n; k++) o[k] = (byte) (v[k] != 0 ? 1 : 0);
                yield bytes(DataType.BOOL, shape, o);
            }
            default -> {
                float[] o = new float[n];
                for (int k = 0; k < n; k++) o[k] = (float) v[k];
                yield floats(shape, o);
            }
        };
    }

    /** A value of this one's type and {@code shape} whose element k is this one's element {@code src[k]}. */
    Value pick(int[] shape, int[] src) {
        return runs(shape, src, 1);
    }

    /**
     * A value of {@code shape} made of runs of {@code len} consecutive elements of this one, run r starting at
     * {@code starts[r]} (Gather's slices, GatherND's tuples; {@link #pick} is the case of single elements): one copy per
     * run, or a plain assignment when runs are single elements.
     */
    Value runs(int[] shape, int[] starts, int len) {
        int n = starts.length * len;
        if (f != null) {
            float[] o = Buffers.uninitialized(n); // every element is written
            if (len == 1) {
                for (int k = 0; k < starts.length; k++) o[k] = f[starts[k]];
            } else {
                for (int k = 0; k < starts.length; k++) System.arraycopy(f, starts[k], o, k * len, len);
            }
            return new Value(type, shape, o, null, null, null);
        }
        if (l != null) {
            long[] o = new long[n];
            if (len == 1) {
                for (int k = 0; k < starts.length; k++) o[k] = l[starts[k]];
            } else {
                for (int k = 0; k < starts.length; k++) System.arraycopy(l, starts[k], o, k * len, len);
            }
            return new Value(type, shape, null, o, null, null);
        }
        if (i != null) {
            int[] o = new int[n];
            if (len == 1) {
                for (int k = 0; k < starts.length; k++) o[k] = i[starts[k]];
            } else {
                for (int k = 0; k < starts.length; k++) System.arraycopy(i, starts[k], o, k * len, len);
            }
            return new Value(type, shape, null, null, o, null);
        }
        byte[] o = new byte[n];
        if (len == 1) {
            for (int k = 0; k < starts.length; k++) o[k] = b[starts[k]];
        } else {
            for (int k = 0; k < starts.length; k++) System.arraycopy(b, starts[k], o, k * len, len);
        }
        return new Value(type, shape, null, null, null, o);
    }

    /**
     * The view of this value's elements at {@code offset + sum(index[d] * strides[d])} for every index of
     * {@code shape}, copied out (Slice, Split and the like). Walks the innermost dimension as one run, so float
     * views with a contiguous last dimension are plain array copies.
     */
    Value strided(int[] shape, int offset, int[] strides) {
        int n = size(shape);
        int r = shape.length;
        int len = r == 0 ? 1 : shape[r - 1];
        int step = r == 0 ? 0 : strides[r - 1];
        float[] of = f != null ? Buffers.uninitialized(n) : null; // every element is written
        long[] ol = l != null ? new long[n] : null; // int64 (indices, shapes) copied as directly
        int[] src = f != null || l != null ? null : new int[n];
        if (n > 0) {
            int[] idx = new int[r];
            int at = offset;
            for (int o = 0; o < n; o += len) {
                if (of != null && step == 1) {
                    System.arraycopy(f, at, of, o, len);
                } else if (of != null) {
                    for (int k = 0; k < len; k++) of[o + k] = f[at + k * step];
                } else if (ol != null && step == 1) {
                    System.arraycopy(l, at, ol, o, len);
                } else if (ol != null) {
                    for (int k = 0; k < len; k++) ol[o + k] = l[at + k * step];
                } else {
                    for (int k = 0; k < len; k++) src[o + k] = at + k * step;
                }
                for (int d = r - 2; d >= 0; d--) {
                    idx[d]++;
                    at += strides[d];
                    if (idx[d] < shape[d]) break;
                    at -= strides[d] * shape[d];
                    idx[d] = 0;
                }
            }
        }
        return of != null ? new Value(type, shape, of, null, null, null)
                : ol != null ? new Value(type, shape, null, ol, null, null) : pick(shape, src);
    }

    /** Row-major strides of {@code shape}. */
    static int[] strides(int[] shape) {
        int[] s = new int[shape.length];
        int stride = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            s[d] = stride;
            stride *= shape[d];
        }
        return s;
    }

    /** Every element as a double. */
    double[] toDoubles() {
        double[] d = new double[size()];
        for (int k = 0; k < d.length; k++) d[k] = get(k);
        return d;
    }

    public DataType type() {
        return type;
    }

    public int[] shape() {
        return shape.clone();
    }

    int size() {
        return size(shape);
    }

    static int size(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return Math.toIntExact(n);
    }

    int rank() {
        return shape.length;
    }

    /** Element {@code k} as a double, whatever the storage. */
    double get(int k) {
        return switch (type) {
            case FLOAT -> f[k];
            case INT64 -> l[k];
            case INT32 -> i[k];
            case UINT8, BOOL -> b[k] & 0xff;
            default -> b[k];
        };
    }

    long[] asLongs() {
        if (l != null) {
            return l;
        }
        long[] out = new long[size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = (long) get(k);
        }
        return out;
    }

    Value reshaped(int[] newShape) {
        return new Value(type, newShape, f, l, i, b);
    }

    /** Converts an IR tensor (constant or input); only the types the engine computes with are accepted. */
    public static Value of(Tensor t) {
        int[] shape = Arrays.stream(t.dims()).mapToInt(Math::toIntExact).toArray();
        ByteBuffer buf = ByteBuffer.wrap(t.raw()).order(ByteOrder.LITTLE_ENDIAN);
        int n = size(shape);
        return switch (t.dataType()) {
            case FLOAT -> floats(shape, t.toFloats());
            case INT64 -> {
                long[] v = new long[n];
                buf.asLongBuffer().get(v);
                yield longs(shape, v);
            }
            case INT32 -> {
                int[] v = new int[n];
                buf.asIntBuffer().get(v);
                yield ints(shape, v);
            }
            case INT8, UINT8, BOOL -> bytes(t.dataType(), shape, t.raw().clone());
            case DOUBLE -> {
                float[] v = new float[n];
                for (int k = 0; k < n; k++) v[k] = (float) buf.getDouble(8 * k);
                yield floats(shape, v);
            }
            // float16 and bfloat16 are computed in float32; 16-bit integers in int32, unsigned 32/64-bit in int64
            case FLOAT16, BFLOAT16, INT16, UINT16, UINT32, UINT64 -> ofDoubles(t.dataType(), shape, t.toDoubles());
            default -> throw new IllegalArgumentException("the engine does not compute with " + t.dataType()
                    + " tensors (" + t.name() + ")");
        };
    }

    public Tensor toTensor(String name) {
        long[] dims = Arrays.stream(shape).asLongStream().toArray();
        return switch (type) {
            case FLOAT -> Tensor.ofFloats(name, dims, f);
            case INT64 -> {
                ByteBuffer buf = ByteBuffer.allocate(l.length * 8).order(ByteOrder.LITTLE_ENDIAN);
                buf.asLongBuffer().put(l);
                yield new Tensor(name, type, dims, buf.array(), List.of(), null, "");
            }
            case INT32 -> {
                ByteBuffer buf = ByteBuffer.allocate(i.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                buf.asIntBuffer().put(i);
                yield new Tensor(name, type, dims, buf.array(), List.of(), null, "");
            }
            default -> new Tensor(name, type, dims, b.clone(), List.of(), null, "");
        };
    }
}
