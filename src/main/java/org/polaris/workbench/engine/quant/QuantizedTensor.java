package org.polaris.workbench.engine.quant;

import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * A weight quantized per tensor, per channel (along {@code axis}) or per block (blocks of {@code blockSize}
 * along {@code axis}), with codes packed as ONNX stores them (4-bit: first element in the low nibble).
 *
 * @param scaleDims shape of the scale and zero-point tensors ({@code []} per tensor, {@code [C]} per channel,
 *                  the data shape with {@code axis} divided into blocks for blocked)
 */
public record QuantizedTensor(long[] dims, IntType type, byte[] codes, float[] scales, int[] zeroPoints, int axis,
                              int blockSize, long[] scaleDims, float[] dequantized) {

    public Tensor codesTensor(String name) {
        return new Tensor(name, type.dataType(), dims, codes, List.of(), null, "");
    }

    public Tensor scaleTensor(String name) {
        return Tensor.ofFloats(name, scaleDims, scales);
    }

    public Tensor zeroPointTensor(String name) {
        long n = zeroPoints.length;
        byte[] raw;
        if (type.bits() == 4) {
            raw = new byte[(int) ((n + 1) / 2)];
            for (int i = 0; i < n; i++) {
                WeightQuantizer.putNibble(raw, i, zeroPoints[i]);
            }
        } else if (type == IntType.INT32) {
            ByteBuffer b = ByteBuffer.allocate((int) n * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (int z : zeroPoints) {
                b.putInt(z);
            }
            raw = b.array();
        } else {
            raw = new byte[(int) n];
            for (int i = 0; i < n; i++) {
                raw[i] = (byte) zeroPoints[i];
            }
        }
        return new Tensor(name, type.dataType(), scaleDims, raw, List.of(), null, "");
    }

    public DataType dataType() {
        return type.dataType();
    }
}
