package org.polaris.workbench.engine.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * A constant tensor (initializer or {@code Constant} node value). Fixed-size elements are kept as little-endian
 * bytes exactly as ONNX {@code raw_data} lays them out, whatever field the file used, so one decoder serves all.
 *
 * @param name tensor name
 * @param dataType element type
 * @param dims shape; empty for a scalar
 * @param raw packed little-endian element bytes for fixed-size types, else an empty array
 * @param strings elements of a string tensor, else an empty list
 * @param externalLocation side file the data was read from, or {@code null} when stored inside the model
 * @param docString documentation string from the file
 */
public record Tensor(String name, DataType dataType, long[] dims, byte[] raw, List<byte[]> strings,
                     String externalLocation, String docString) {

    public Tensor {
        dims = dims.clone();
        strings = List.copyOf(strings);
    }

    public static Tensor ofFloats(String name, long[] dims, float[] values) {
        ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(values);
        return new Tensor(name, DataType.FLOAT, dims, buf.array(), List.of(), null, "");
    }

    @Override
    public long[] dims() {
        return dims.clone();
    }

    public int rank() {
        return dims.length;
    }

    /** Element count; the reader has already checked that it is exact and bounded. */
    public long elementCount() {
        return elementCount(dims);
    }

    public static long elementCount(long[] dims) {
        long n = 1;
        for (long d : dims) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Bytes of element data: packed raw bytes, or the summed length of string elements. */
    public long dataBytes() {
        if (dataType == DataType.STRING) {
            return strings.stream().mapToLong(s -> s.length).sum();
        }
        return raw.length;
    }

    public Tensor withName(String newName) {
        return new Tensor(newName, dataType, dims, raw, strings, externalLocation, docString);
    }

    public String shapeString() {
        return Arrays.toString(dims);
    }

    /** Decodes the elements of a numeric tensor to doubles, in row-major order. */
    public double[] toDoubles() {
        return TensorDecoder.toDoubles(dataType, raw, Math.toIntExact(elementCount()));
    }

    /** Decodes one IEEE binary16 value. */
    public static float halfToFloat(short h) {
        return TensorDecoder.halfToFloat(h);
    }

    /** Decodes a FLOAT tensor to a float array. */
    public float[] toFloats() {
        if (dataType != DataType.FLOAT) {
            throw new IllegalStateException(name + " is " + dataType + ", not float32");
        }
        float[] out = new float[Math.toIntExact(elementCount())];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }
}
